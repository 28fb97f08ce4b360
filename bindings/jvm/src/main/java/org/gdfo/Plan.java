package org.gdfo;

import java.util.ArrayList;
import java.util.List;

/**
 * An optimized plan (include/gdfo/plan.h): the rewritten graph, one
 * explained change per modification, predictions and a risk level. Plans
 * come from {@link Rules#optimize}, {@link Optimizer#plan}, {@link #fromJson(String)} or
 * {@link #load(String)}.
 */
public final class Plan extends NativeHandle implements Iterable<Plan.Change> {
    /**
     * One change: kind by name ("push_filter"), stage ids, what and why, and
     * what it set from what to what: field names the knob or edit
     * ("join_strategy", "partitions", "executors", "push_filter", ...; the
     * table under gdfo_change in include/gdfo/plan.h), oldValue and newValue
     * its values (enum values for enums, stage ids for push_filter and
     * reorder_joins; NaN where not applicable), oldLabel and newLabel their
     * human labels ("sort_merge", "broadcast"; null when none). field is
     * null, the values NaN, when the plan does not say (JSON written by 0.2).
     */
    public record Change(String kind, long[] stageIds, String what, String why, double expectedGain,
            double confidence, long[] attendedIds, String field, double oldValue, double newValue,
            String oldLabel, String newLabel) {
        /** The fields of 0.2; no values. */
        public Change(String kind, long[] stageIds, String what, String why, double expectedGain,
                double confidence, long[] attendedIds) {
            this(kind, stageIds, what, why, expectedGain, confidence, attendedIds, null, Double.NaN, Double.NaN,
                    null, null);
        }
    }

    /**
     * Predicted outcome; -1 where the optimizer had no estimate. executionMs
     * and baselineExecutionMs are the latencies without the fixed per-run
     * overhead (overheadMs); calibrated is 1 when predicted on the model
     * calibrated to telemetry ({@link Simulator#calibrate}), 0 when not, -1
     * unknown (gdfo_prediction in include/gdfo/plan.h).
     */
    public record Prediction(double latencyMs, double throughput, double cost, double baselineLatencyMs,
            double baselineCost, double executionMs, double baselineExecutionMs, double overheadMs,
            double measuredLatencyMs, int calibrated, int stagesCalibrated, int baselineStagesCalibrated) {
        /** The five figures of 0.2, the rest unknown. */
        public Prediction(double latencyMs, double throughput, double cost, double baselineLatencyMs,
                double baselineCost) {
            this(latencyMs, throughput, cost, baselineLatencyMs, baselineCost, -1, -1, -1, -1, -1, -1, -1);
        }
    }

    /**
     * What the closed loop did in the plan call that made the plan
     * (gdfo_plan_loop, include/gdfo/loop.h). step is "known_good", "explore",
     * "confirm" or "rollback"; events the names of the call's loop events
     * ("explore", "drift", "approval", "gate", "forecast"); needsApproval:
     * the plan cannot become known-good until {@link Optimizer#approve}
     * records an approval; fingerprint the pipeline's (16 hex digits, the
     * audit log's "pipeline"); predictedRegret the predicted reward of the
     * known-good plan minus this one's; forecastScale the source volume it
     * was sized for over the input's (1: no forecast); runs the pipeline's
     * runs with feedback before this plan.
     */
    public record Loop(String step, List<String> events, boolean needsApproval, String fingerprint,
            double predictedRegret, double forecastScale, int runs) {
    }

    /* What nLoopInfo fills, one field at a time by name. */
    static final class LoopFields {
        byte[] step;
        int events;
        int needsApproval;
        long fingerprint;
        double predictedRegret;
        double forecastScale;
        int runs;
    }

    /* What nChangeAt fills, one field at a time by name. */
    static final class ChangeFields {
        int kind;
        long[] stageIds;
        byte[] what;
        byte[] why;
        double expectedGain;
        double confidence;
        long[] attendedIds;
        byte[] field;
        double oldValue;
        double newValue;
        byte[] oldLabel;
        byte[] newLabel;
    }

    Plan(long handle) {
        super(handle, "Plan");
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    public static Plan fromJson(String json) {
        Gdfo.load();
        return new Plan(nFromJson(Gdfo.utf8(json, "json")));
    }

    public static Plan load(String path) {
        Gdfo.load();
        return new Plan(nLoad(Gdfo.utf8(path, "path")));
    }

    public String toJson() {
        return read(h -> Gdfo.str(nToJson(h)));
    }

    public void save(String path) {
        byte[] p = Gdfo.utf8(path, "path");
        read(h -> {
            nSave(h, p);
            return null;
        });
    }

    /** A human-readable account of every change and the predictions. */
    public String explain() {
        return read(h -> Gdfo.str(nExplain(h)));
    }

    /** The optimizer that made the plan ("rules", "learned", "input"). */
    public String source() {
        return read(h -> Gdfo.str(nSource(h)));
    }

    /** "low", "medium" or "high" (high needs human approval). */
    public String risk() {
        return read(h -> Gdfo.str(Graph.nEnumName(5, nRisk(h))));
    }

    /** A copy of the rewritten graph (close it too). */
    public Graph graph() {
        return new Graph(read(Plan::nGraph));
    }

    /** The changes (copies taken when iteration starts), in order. */
    @Override
    public java.util.Iterator<Change> iterator() {
        return changes().iterator();
    }

    /** The number of changes. */
    public int changeCount() {
        return read(Plan::nChangeCount);
    }

    /** Copies of the changes, in order. */
    public List<Change> changes() {
        return read(h -> {
            int n = nChangeCount(h);
            List<Change> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ChangeFields f = new ChangeFields();
                nChangeAt(h, i, f);
                out.add(new Change(Gdfo.str(Graph.nEnumName(4, f.kind)), f.stageIds, Gdfo.str(f.what),
                        Gdfo.str(f.why), f.expectedGain, f.confidence, f.attendedIds, Gdfo.str(f.field),
                        f.oldValue, f.newValue, Gdfo.str(f.oldLabel), Gdfo.str(f.newLabel)));
            }
            return out;
        });
    }

    /** The optimizer's one-line remarks (how it checked, which model planned), in order. */
    public List<String> notes() {
        return read(h -> {
            int n = nNoteCount(h);
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(Gdfo.str(nNoteAt(h, i)));
            }
            return out;
        });
    }

    public Prediction prediction() {
        return read(Plan::nPrediction);
    }

    /**
     * The id an optimizer with a state directory gave the plan
     * ("&lt;16 hex fingerprint&gt;-&lt;sequence&gt;", the key of
     * {@link Optimizer#feedback} and {@link Optimizer#approve}); null for
     * any other plan.
     */
    public String id() {
        return read(h -> Gdfo.str(nId(h)));
    }

    /** What the closed loop did when it made the plan; null for a plan made without a state directory. */
    public Loop loop() {
        return read(h -> {
            LoopFields f = new LoopFields();
            nLoopInfo(h, f);
            if (f.step == null) {
                return null;
            }
            return new Loop(Gdfo.str(f.step), eventNames(f.events), f.needsApproval != 0,
                    String.format("%016x", f.fingerprint), f.predictedRegret, f.forecastScale, f.runs);
        });
    }

    /** The loop's step ("known_good", "explore", "confirm", "rollback"); null without a state directory. */
    public String loopStep() {
        Loop l = loop();
        return l == null ? null : l.step();
    }

    /** Whether the plan needs approval before it can become known-good (false without a state directory). */
    public boolean needsApproval() {
        Loop l = loop();
        return l != null && l.needsApproval();
    }

    /** The names of the loop events of the plan call (empty without a state directory). */
    public List<String> loopEvents() {
        Loop l = loop();
        return l == null ? List.of() : l.events();
    }

    /* The names of the gdfo_loop_event bits set in bits, in bit order. */
    static List<String> eventNames(int bits) {
        List<String> out = new ArrayList<>();
        for (byte[] b : nLoopEventNames(bits)) {
            out.add(Gdfo.str(b));
        }
        return List.copyOf(out);
    }

    static native long nFromJson(byte[] json);

    static native long nLoad(byte[] path);

    static native void nFree(long h);

    static native byte[] nToJson(long h);

    static native void nSave(long h, byte[] path);

    static native byte[] nExplain(long h);

    static native byte[] nSource(long h);

    static native int nRisk(long h);

    static native long nGraph(long h);

    static native int nChangeCount(long h);

    static native void nChangeAt(long h, int index, ChangeFields out);

    static native Prediction nPrediction(long h);

    static native int nNoteCount(long h);

    static native byte[] nNoteAt(long h, int index);

    static native byte[] nId(long h);

    static native void nLoopInfo(long h, LoopFields out);

    static native byte[][] nLoopEventNames(int bits);
}

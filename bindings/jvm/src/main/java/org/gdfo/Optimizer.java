package org.gdfo;

import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The learned optimizer (include/gdfo/optimizer.h, docs/learning.md): a
 * policy model (a GDFO-NN file from {@code gdfo train}) that plans a
 * pipeline for an objective, scoring its candidates, the rules plan and the
 * input with the execution model. Without a model it plans with the rules
 * and the plan's notes say so.
 *
 * <pre>{@code
 * try (Optimizer opt = new Optimizer("policy.gdfonn");
 *      Graph g = Graph.load("examples/pipelines/tpch_q5.json");
 *      Plan plan = opt.plan(g, null, new Diagnosis.Objective(0, 1, 0, 0, 0, 1))) {
 *     System.out.println(plan.source() + "\n" + plan.explain());
 * }
 * }</pre>
 *
 * <p>Opened with a state directory ({@link #open(String, String, Options)})
 * it is the closed loop of include/gdfo/loop.h: it remembers each
 * pipeline, gives every plan an id ({@link Plan#id()}, {@link Plan#loop()}),
 * takes the measured run back ({@link #feedback}), rolls back a
 * regression, keeps a plan that needs approval from becoming known-good
 * until {@link #approve}, and writes an audit log ({@link #auditJson}).
 *
 * <pre>{@code
 * try (Optimizer opt = Optimizer.open("/var/lib/app/gdfo", "", null);
 *      Graph g = Graph.load("examples/pipelines/retail_etl.json");
 *      Plan plan = opt.plan(g)) {
 *     if (plan.needsApproval()) opt.approve(plan.id(), "ops", "reviewed");
 *     Telemetry measured = runIt(plan);              // the engine's run
 *     Optimizer.Feedback fb = opt.feedback(plan.id(), measured);
 * }
 * }</pre>
 *
 * <p>{@link #plan} may run on several threads at once, as may feedback
 * and approval beside them (the library serializes them); {@link #close()}
 * waits for calls in progress.
 */
public final class Optimizer extends NativeHandle {
    /**
     * What {@link #feedback} found (gdfo_feedback). reward is the run's
     * reward against the pipeline's known-good plan; baselineLatencyMs and
     * baselineCost the known-good run it was compared with (the known-good
     * plan's measured median when baselineMeasured, else estimated from
     * this run and the predicted ratio); knownGood: the plan is the
     * pipeline's known-good plan now; runs: the pipeline's runs with
     * feedback, this one included; exploring false once exploration is off
     * (auto_off); residual ln(measured / predicted latency); events the
     * names of what the loop did ("rollback", "known_good", "drift",
     * "auto_off", "approval", "failed").
     */
    public record Feedback(double reward, double baselineLatencyMs, double baselineCost, boolean baselineMeasured,
            boolean knownGood, int runs, boolean exploring, double residual, List<String> events) {
    }

    /**
     * What a stateful optimizer holds (gdfo_loop_stats): pipelines
     * remembered, journal records (replayed and written), plans given ids,
     * feedback records, torn records dropped from the journal's end at open.
     */
    public record Stats(int pipelines, long records, long plans, long feedback, int torn) {
    }

    /* What nFeedback fills, one field at a time by name. */
    static final class FeedbackFields {
        int events;
        double reward;
        double baselineLatencyMs;
        double baselineCost;
        int baselineMeasured;
        int knownGood;
        int runs;
        int exploring;
        double residual;
    }

    /**
     * A gdfo_optimizer_options held on the C side (as {@link Rules.Options}):
     * created with the library's defaults, one setter per field. Values are
     * checked when the optimizer opens, which names an option out of range.
     */
    public static final class Options extends NativeOptions {
        /** The library's defaults. */
        public Options() {
            super(create(), Optimizer::nOptionsFree, "Optimizer.Options");
        }

        private static long create() {
            Gdfo.load();
            return nOptionsCreate();
        }

        /** Sampled plans scored besides the greedy one, 0..1024 (8). */
        public synchronized Options candidates(int v) {
            nSetCandidates(ptr(), v);
            return this;
        }

        /** The current candidates. */
        public synchronized int candidates() {
            return nGetCandidates(ptr());
        }

        /** Most structural edits per plan, 0..64 (4). */
        public synchronized Options structuralSteps(int v) {
            nSetStructuralSteps(ptr(), v);
            return this;
        }

        /** The current structural_steps. */
        public synchronized int structuralSteps() {
            return nGetStructuralSteps(ptr());
        }

        /** Whether the rules plan is a candidate and the fallback (true). */
        public synchronized Options useRules(boolean v) {
            nSetUseRules(ptr(), v);
            return this;
        }

        /** The current use_rules. */
        public synchronized boolean useRules() {
            return nGetUseRules(ptr());
        }

        /** Seed of the sampled candidates (1). */
        public synchronized Options seed(long v) {
            nSetSeed(ptr(), v);
            return this;
        }

        /** The current seed. */
        public synchronized long seed() {
            return nGetSeed(ptr());
        }

        /**
         * With a state directory: journal records per fsync, 1..100000 (1).
         * 1: every feedback and approval is on stable storage when its call
         * returns; more is a group commit (include/gdfo/loop.h says what a
         * return means then; {@link Optimizer#sync()} forces it).
         */
        public synchronized Options syncEvery(int v) {
            nSetSyncEvery(ptr(), v);
            return this;
        }

        /** The current sync_every. */
        public synchronized int syncEvery() {
            return nGetSyncEvery(ptr());
        }

        /** The cluster of a gdfo-cluster/1 file (resources a pipeline runs with when its knobs are 0). */
        public synchronized Options clusterFile(String path) {
            nSetClusterFile(ptr(), Gdfo.utf8(path, "path"));
            return this;
        }

        /** The cluster of a gdfo-cluster/1 document (fields over the defaults). */
        public synchronized Options clusterJson(String json) {
            nSetClusterJson(ptr(), Gdfo.utf8(json, "json"));
            return this;
        }
    }

    /**
     * An optimizer with the default options. modelPath: null looks for a
     * model as the library does ($GDFO_MODEL, else the installed default,
     * else none: the rules); "" plans with the rules; a path loads that
     * policy model, which must load: GdfoException with {@link Gdfo#EIO}
     * (missing), {@link Gdfo#EFORMAT} (not a policy model) or
     * {@link Gdfo#ECHECKSUM} (damaged), the message naming the path.
     */
    public Optimizer(String modelPath) {
        this(modelPath, null);
    }

    /** As {@link #Optimizer(String)} with options (null: the defaults). */
    public Optimizer(String modelPath, Options options) {
        this(openHandle(null, modelPath, options, 0), null, 0);
    }

    private Optimizer(long handle, String stateDir, long clock) {
        super(handle, "Optimizer");
        this.stateDir = stateDir;
        this.clock = clock;
    }

    private final String stateDir;
    private final long clock;     /* the native clock around a DoubleSupplier; 0: none */

    /**
     * The closed loop: an optimizer on the state directory stateDir (created
     * when missing), with modelPath as in {@link #Optimizer(String)} and
     * options (null: the defaults). Only one optimizer (in any process) may
     * have a state directory open: another open throws GdfoException with
     * {@link Gdfo#EIO}; so do a directory that cannot be made or read, and a
     * damaged journal ({@link Gdfo#ECHECKSUM}).
     */
    public static Optimizer open(String stateDir, String modelPath, Options options) {
        return open(stateDir, modelPath, options, null);
    }

    /**
     * As {@link #open(String, String, Options)} with clock (null: the
     * system's) giving seconds since the epoch: the loop's time for its
     * journal, audit log and forecasts (a simulated clock). It is read on
     * the thread of a plan, feedback or approval call; a reading that
     * throws gives the wall clock.
     */
    public static Optimizer open(String stateDir, String modelPath, Options options, DoubleSupplier clock) {
        byte[] state = Gdfo.utf8(stateDir, "stateDir");
        Gdfo.load();
        long c = clock == null ? 0 : nClockCreate(clock);
        try {
            return new Optimizer(openHandle(state, modelPath, options, c), stateDir, c);
        } catch (RuntimeException | Error e) {
            nClockFree(c);
            throw e;
        }
    }

    /** {@link #open(String, String, Options)} with the model found as the library does. */
    public static Optimizer open(String stateDir, Options options) {
        return open(stateDir, null, options);
    }

    private static long openHandle(byte[] state, String modelPath, Options options, long clock) {
        Gdfo.load();
        byte[] model = modelPath == null ? null : Gdfo.utf8(modelPath, "modelPath");
        if (options == null) {
            return nOpen(state, model, 0, clock);
        }
        synchronized (options) {
            return nOpen(state, model, options.ptr(), clock);
        }
    }

    /** The state directory, or null for an optimizer without one. */
    public String stateDir() {
        return stateDir;
    }

    @Override
    void free(long handle) {
        nClose(handle);
        nClockFree(clock);
    }

    /** The loaded policy model's path, or null when the optimizer plans with the rules. */
    public String model() {
        return read(h -> Gdfo.str(nModel(h)));
    }

    /** Plans graph for the default objective without telemetry. */
    public Plan plan(Graph graph) {
        return plan(graph, null, null);
    }

    /**
     * Plans graph (not modified) for objective (null: the library's default)
     * given a previous run's telemetry (may be null). The plan's source is
     * "learned", "rules" or "input"; its explanation and notes say which
     * model planned. Throws GdfoException (EINVAL for an invalid graph or
     * objective, naming it).
     */
    public Plan plan(Graph graph, Telemetry telemetry, Diagnosis.Objective objective) {
        if (graph == null) {
            throw new NullPointerException("graph is null");
        }
        long plan = read(o -> graph.read(g -> telemetry == null
                ? nPlan(o, g, 0, objective)
                : telemetry.read(t -> nPlan(o, g, t, objective))));
        return new Plan(plan);
    }

    /**
     * Reports what running the plan with id planId ({@link Plan#id()})
     * measured (gdfo_optimizer_feedback): telemetry needs its run record
     * (latency &gt; 0) and may carry stage records of the plan's graph
     * ({@link Simulator#telemetry(Plan)} makes them from a simulated run).
     * Each plan takes one feedback. Throws GdfoException: EINVAL (no state
     * directory, an id of another form, no run latency), ENOTFOUND (no such
     * plan in this state), EEXISTS (its feedback was given already), EIO.
     */
    public Feedback feedback(String planId, Telemetry telemetry) {
        byte[] id = Gdfo.utf8(planId, "planId");
        if (telemetry == null) {
            throw new NullPointerException("telemetry is null");
        }
        FeedbackFields f = new FeedbackFields();
        read(o -> telemetry.read(t -> {
            nFeedback(o, id, t, f);
            return null;
        }));
        return new Feedback(f.reward, f.baselineLatencyMs, f.baselineCost, f.baselineMeasured != 0, f.knownGood != 0,
                f.runs, f.exploring != 0, f.residual, Plan.eventNames(f.events));
    }

    /**
     * Records that who (non-empty) approved the plan with id planId, with an
     * optional note (null: none), in the journal and the audit log. Only an
     * approved plan that needs approval ({@link Plan#needsApproval()}) can
     * become known-good. Throws GdfoException: EINVAL, ENOTFOUND, EEXISTS
     * (approved already), EIO.
     */
    public void approve(String planId, String who, String note) {
        byte[] id = Gdfo.utf8(planId, "planId");
        byte[] w = Gdfo.utf8(who, "who");
        byte[] n = note == null ? null : Gdfo.utf8(note, "note");
        read(o -> {
            nApprove(o, id, w, n);
            return null;
        });
    }

    /** Forces the journal and the audit log to stable storage (with syncEvery &gt; 1). */
    public void sync() {
        read(o -> {
            nSync(o);
            return null;
        });
    }

    /**
     * Validates the gdfo-policy/1 file at path and makes it the state's
     * policy (copied to STATE/policy.json). Throws GdfoException (EINVAL
     * without a state directory, EFORMAT naming the field, EIO).
     */
    public void setPolicy(String path) {
        byte[] p = Gdfo.utf8(path, "path");
        read(o -> {
            nSetPolicy(o, p);
            return null;
        });
    }

    /** Checks a gdfo-policy/1 document without a state; GdfoException (EFORMAT) names the field. */
    public static void checkPolicy(String json) {
        Gdfo.load();
        nCheckPolicy(Gdfo.utf8(json, "json"));
    }

    /** What the state holds; GdfoException (EINVAL) without a state directory. */
    public Stats stats() {
        return read(Optimizer::nStats);
    }

    /**
     * The audit log of this optimizer's state directory as a JSON array
     * ({@link #auditJson(String, String, double)}).
     */
    public String auditJson(String pipeline, double since) {
        if (stateDir == null) {
            throw new GdfoException(Gdfo.EINVAL, "this Optimizer has no state directory (open it with one)");
        }
        return auditJson(stateDir, pipeline, since);
    }

    /**
     * The audit log of the state directory stateDir (gdfo_audit_read) as a
     * JSON array, oldest first: every plan, approval, feedback, rollback,
     * drift, gate, forecast, policy and open record. pipeline (a
     * fingerprint, 16 hex digits: {@link Plan.Loop#fingerprint()}; null for
     * all) keeps one pipeline's records; since (seconds since the epoch; 0
     * for all) only records at or after it. Reads the file without opening
     * the state, so it may run beside an open optimizer. Throws
     * GdfoException (EIO: no log there; EFORMAT: a line that is not JSON).
     */
    public static String auditJson(String stateDir, String pipeline, double since) {
        Gdfo.load();
        return Gdfo.str(nAuditRead(Gdfo.utf8(stateDir, "stateDir"),
                pipeline == null ? null : Gdfo.utf8(pipeline, "pipeline"), since));
    }

    static native long nOptionsCreate();

    static native void nOptionsFree(long options);

    static native void nSetCandidates(long options, int v);
    static native int nGetCandidates(long options);
    static native void nSetStructuralSteps(long options, int v);
    static native int nGetStructuralSteps(long options);
    static native void nSetUseRules(long options, boolean v);
    static native boolean nGetUseRules(long options);
    static native void nSetSeed(long options, long v);
    static native long nGetSeed(long options);
    static native void nSetSyncEvery(long options, int v);
    static native int nGetSyncEvery(long options);
    static native void nSetClusterFile(long options, byte[] path);
    static native void nSetClusterJson(long options, byte[] json);

    static native long nOpen(byte[] stateDir, byte[] model, long options, long clock);

    static native long nClockCreate(DoubleSupplier clock);

    static native void nClockFree(long clock);

    static native void nClose(long h);

    static native byte[] nModel(long h);

    static native long nPlan(long h, long graph, long telemetry, Diagnosis.Objective objective);

    static native void nFeedback(long h, byte[] planId, long telemetry, FeedbackFields out);

    static native void nApprove(long h, byte[] planId, byte[] who, byte[] note);

    static native void nSync(long h);

    static native void nSetPolicy(long h, byte[] path);

    static native void nCheckPolicy(byte[] json);

    static native Stats nStats(long h);

    static native byte[] nAuditRead(byte[] stateDir, byte[] pipeline, double since);
}

package org.gdfo;

import java.util.ArrayList;
import java.util.List;

/**
 * The simulator (include/gdfo/sim.h): predicts a pipeline {@link Graph}, a
 * {@link Plan} or replays a measured {@link Profile} on a cluster model, with
 * per-stage results, and calibrates the model to telemetry of a measured run.
 *
 * <pre>{@code
 * try (Simulator sim = new Simulator(); Graph g = Graph.load("p.json")) {
 *     Simulator.Result r = sim.run(g, null);
 *     sim.calibrate(g, telemetry, null);         // fit to a measured run
 *     Plan.Prediction p = sim.predict(plan, g, null);
 * }
 * }</pre>
 *
 * One Simulator owns its workspaces and its calibration: calls on it are
 * serialized (each takes its write lock). Results are copies.
 */
public final class Simulator extends NativeHandle {
    /** One stage of a run (means over runs for times); joinStrategy is null except on joins. */
    public record StageResult(long id, int job, String joinStrategy, double tasks, double startMs, double endMs,
            double durationMs, double workMs, double taskMsMax, double rowsIn, double rowsOut, double bytesIn,
            double bytesOut, double shuffleReadBytes, double shuffleWriteBytes, double spillBytes,
            double cacheBytes, double filesWritten, double executions) {
    }

    /** What a run call measured (gdfo_sim_result); failedStageId is -1 when the run succeeded. */
    public record Result(boolean success, int runs, long failedStageId, int executors, int coresPerExecutor,
            double makespanMs, double makespanMsP95, double workMs, double criticalPathMs, double records,
            double throughput, double cost, double computeCost, double storageCost, double executorSeconds,
            double spillBytes, double shuffleBytes, double utilization, double executionMs, double overheadMs,
            int stagesCalibrated, List<StageResult> stages) {
    }

    /** The calibration to telemetry (gdfo_sim_calibration); measuredLatencyMs is -1 when unknown. */
    public record Calibration(boolean active, int stages, int stagesCalibrated, int recordsUnmatched,
            boolean overheadFitted, double overheadMs, double measuredLatencyMs, double executionMs,
            double uncalibratedExecutionMs, double rate) {
    }

    /* What nRun* fill, one field at a time by name. */
    static final class ResultFields {
        int success;
        int runs;
        long failedStageId;
        int executors;
        int coresPerExecutor;
        double makespanMs;
        double makespanMsP95;
        double workMs;
        double criticalPathMs;
        double records;
        double throughput;
        double cost;
        double computeCost;
        double storageCost;
        double executorSeconds;
        double spillBytes;
        double shuffleBytes;
        double utilization;
        double executionMs;
        double overheadMs;
        int stagesCalibrated;
    }

    static final class StageFields {
        long id;
        int job;
        int joinStrategy;
        double tasks;
        double startMs;
        double endMs;
        double durationMs;
        double workMs;
        double taskMsMax;
        double rowsIn;
        double rowsOut;
        double bytesIn;
        double bytesOut;
        double shuffleReadBytes;
        double shuffleWriteBytes;
        double spillBytes;
        double cacheBytes;
        double filesWritten;
        double executions;
    }

    /**
     * A gdfo_sim_options held on the C side, created with the library's
     * defaults (deterministic DES, one run); one setter and getter per field,
     * named as in include/gdfo/sim.h, where the defaults and ranges are. Values
     * are checked by the run call, which names an option out of range.
     */
    public static final class Options extends NativeOptions {
        public Options() {
            super(create(), Simulator::nOptionsFree, "Simulator.Options");
        }

        private static long create() {
            Gdfo.load();
            return nOptionsCreate();
        }

        /**
         * "des" (the default), "analytic" or "expected" (the DES's mean run under the noise
         * options, computed by groups of tasks; docs/simulator.md).
         */
        public synchronized Options mode(String v) {
            nSetMode(ptr(), switch (v) {
                case "des" -> 0;
                case "analytic" -> 1;
                case "expected" -> 2;
                default -> throw new IllegalArgumentException(
                        "mode must be \"des\", \"analytic\" or \"expected\", not \"" + v + "\"");
            });
            return this;
        }

        public synchronized String mode() {
            return switch (nGetMode(ptr())) {
                case 1 -> "analytic";
                case 2 -> "expected";
                default -> "des";
            };
        }

        /** Profiles: "exact" (the default) or "sampled". */
        public synchronized Options replay(String v) {
            nSetReplay(ptr(), switch (v) {
                case "exact" -> 0;
                case "sampled" -> 1;
                default -> throw new IllegalArgumentException("replay must be \"exact\" or \"sampled\", not \"" + v + "\"");
            });
            return this;
        }

        public synchronized String replay() {
            return nGetReplay(ptr()) == 1 ? "sampled" : "exact";
        }

        public synchronized Options seed(long v) {
            nSetSeed(ptr(), v);
            return this;
        }

        public synchronized long seed() {
            return nGetSeed(ptr());
        }

        public synchronized Options runs(int v) {
            nSetRuns(ptr(), v);
            return this;
        }

        public synchronized int runs() {
            return nGetRuns(ptr());
        }

        public synchronized Options executors(int v) {
            nSetExecutors(ptr(), v);
            return this;
        }

        public synchronized int executors() {
            return nGetExecutors(ptr());
        }

        public synchronized Options coresPerExecutor(int v) {
            nSetCoresPerExecutor(ptr(), v);
            return this;
        }

        public synchronized int coresPerExecutor() {
            return nGetCoresPerExecutor(ptr());
        }

        public synchronized Options noiseSigma(double v) {
            nSetNoiseSigma(ptr(), v);
            return this;
        }

        public synchronized double noiseSigma() {
            return nGetNoiseSigma(ptr());
        }

        public synchronized Options stragglerProb(double v) {
            nSetStragglerProb(ptr(), v);
            return this;
        }

        public synchronized double stragglerProb() {
            return nGetStragglerProb(ptr());
        }

        public synchronized Options stragglerFactor(double v) {
            nSetStragglerFactor(ptr(), v);
            return this;
        }

        public synchronized double stragglerFactor() {
            return nGetStragglerFactor(ptr());
        }

        public synchronized Options failureProb(double v) {
            nSetFailureProb(ptr(), v);
            return this;
        }

        public synchronized double failureProb() {
            return nGetFailureProb(ptr());
        }

        public synchronized Options maxAttempts(int v) {
            nSetMaxAttempts(ptr(), v);
            return this;
        }

        public synchronized int maxAttempts() {
            return nGetMaxAttempts(ptr());
        }

        public synchronized Options dynamicAllocation(boolean v) {
            nSetDynamicAllocation(ptr(), v ? 1 : 0);
            return this;
        }

        public synchronized boolean dynamicAllocation() {
            return nGetDynamicAllocation(ptr()) != 0;
        }

        public synchronized Options minExecutors(int v) {
            nSetMinExecutors(ptr(), v);
            return this;
        }

        public synchronized int minExecutors() {
            return nGetMinExecutors(ptr());
        }

        public synchronized Options maxExecutors(int v) {
            nSetMaxExecutors(ptr(), v);
            return this;
        }

        public synchronized int maxExecutors() {
            return nGetMaxExecutors(ptr());
        }

        public synchronized Options backlogTimeoutMs(double v) {
            nSetBacklogTimeoutMs(ptr(), v);
            return this;
        }

        public synchronized double backlogTimeoutMs() {
            return nGetBacklogTimeoutMs(ptr());
        }

        public synchronized Options idleTimeoutMs(double v) {
            nSetIdleTimeoutMs(ptr(), v);
            return this;
        }

        public synchronized double idleTimeoutMs() {
            return nGetIdleTimeoutMs(ptr());
        }

        public synchronized Options runIndex(int v) {
            nSetRunIndex(ptr(), v);
            return this;
        }

        public synchronized int runIndex() {
            return nGetRunIndex(ptr());
        }

        public synchronized Options batches(int v) {
            nSetBatches(ptr(), v);
            return this;
        }

        public synchronized int batches() {
            return nGetBatches(ptr());
        }

        public synchronized Options batchIntervalMs(double v) {
            nSetBatchIntervalMs(ptr(), v);
            return this;
        }

        public synchronized double batchIntervalMs() {
            return nGetBatchIntervalMs(ptr());
        }

        public synchronized Options replayStageGapMs(double v) {
            nSetReplayStageGapMs(ptr(), v);
            return this;
        }

        public synchronized double replayStageGapMs() {
            return nGetReplayStageGapMs(ptr());
        }
    }

    private Simulator(long handle) {
        super(handle, "Simulator");
    }

    /** A simulator on the built-in cluster model (docs/simulator.md). */
    public Simulator() {
        this(create(null, null));
    }

    private static long create(byte[] json, byte[] path) {
        Gdfo.load();
        return nCreate(json, path);
    }

    /** A simulator on the cluster of a gdfo-cluster/1 file. */
    public static Simulator withClusterFile(String path) {
        return new Simulator(create(null, Gdfo.utf8(path, "path")));
    }

    /** A simulator on the cluster of a gdfo-cluster/1 document (fields over the defaults). */
    public static Simulator withClusterJson(String json) {
        return new Simulator(create(Gdfo.utf8(json, "json"), null));
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    /**
     * The last {@link #run(Graph, Options)} of graph as the telemetry a host
     * would report (gdfo_sim_telemetry): a simulated run standing in for a
     * real one, say as {@link Optimizer#feedback}'s telemetry. Throws
     * GdfoException (EINVAL) when the last run was not of graph.
     */
    public Telemetry telemetry(Graph graph) {
        if (graph == null) {
            throw new NullPointerException("graph is null");
        }
        return new Telemetry(read(s -> graph.read(g -> nTelemetry(s, g, 0))));
    }

    /** As {@link #telemetry(Graph)} for the last {@link #run(Plan, Options)} of plan. */
    public Telemetry telemetry(Plan plan) {
        if (plan == null) {
            throw new NullPointerException("plan is null");
        }
        return new Telemetry(read(s -> plan.read(p -> nTelemetry(s, 0, p))));
    }

    /* Runs call with the options' pointer (the defaults when null) and collects the result. */
    private interface RunCall {
        void run(long sim, long options, ResultFields out);
    }

    private Result run(Options options, RunCall call) {
        if (options == null) {
            try (Options o = new Options()) {
                return run(o, call);
            }
        }
        synchronized (options) {
            long o = options.ptr();
            return write(s -> {
                ResultFields f = new ResultFields();
                call.run(s, o, f);
                int n = nStageCount(s);
                List<StageResult> stages = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    StageFields t = new StageFields();
                    nStageAt(s, i, t);
                    stages.add(new StageResult(t.id, t.job, t.joinStrategy == 0 ? null : Gdfo.str(Graph.nEnumName(2, t.joinStrategy)),
                            t.tasks, t.startMs, t.endMs, t.durationMs, t.workMs, t.taskMsMax, t.rowsIn, t.rowsOut,
                            t.bytesIn, t.bytesOut, t.shuffleReadBytes, t.shuffleWriteBytes, t.spillBytes,
                            t.cacheBytes, t.filesWritten, t.executions));
                }
                return new Result(f.success != 0, f.runs, f.failedStageId, f.executors, f.coresPerExecutor,
                        f.makespanMs, f.makespanMsP95, f.workMs, f.criticalPathMs, f.records, f.throughput, f.cost,
                        f.computeCost, f.storageCost, f.executorSeconds, f.spillBytes, f.shuffleBytes,
                        f.utilization, f.executionMs, f.overheadMs, f.stagesCalibrated, List.copyOf(stages));
            });
        }
    }

    /**
     * Simulates a pipeline (gdfo_sim_run_graph); options null means the
     * defaults. On a calibrated simulator the calibrated model runs. A run
     * the model expects to fail is not an exception: success is false.
     */
    public Result run(Graph graph, Options options) {
        if (graph == null) {
            throw new NullPointerException("graph is null");
        }
        return run(options, (s, o, f) -> graph.read(g -> {
            nRunGraph(s, g, o, f);
            return null;
        }));
    }

    /** Simulates a plan's rewritten pipeline. */
    public Result run(Plan plan, Options options) {
        if (plan == null) {
            throw new NullPointerException("plan is null");
        }
        return run(options, (s, o, f) -> plan.read(p -> {
            nRunPlan(s, p, o, f);
            return null;
        }));
    }

    /** Replays a measured job profile (options executors, replay "exact" or "sampled", ...). */
    public Result run(Profile profile, Options options) {
        if (profile == null) {
            throw new NullPointerException("profile is null");
        }
        return run(options, (s, o, f) -> profile.read(p -> {
            nRunProfile(s, p, o, f);
            return null;
        }));
    }

    /** The last run's result as gdfo_sim_result_to_json writes it. */
    public String resultJson() {
        return write(s -> Gdfo.str(nResultJson(s)));
    }

    /**
     * Fits the model to telemetry of a run of graph's pipeline
     * (gdfo_sim_calibrate); later runs and predictions use it. telemetry null
     * clears it. The caller checks the telemetry is this pipeline's
     * ({@link Rules#optimize} refuses telemetry of another pipeline).
     */
    public Calibration calibrate(Graph graph, Telemetry telemetry, Options options) {
        if (graph == null) {
            throw new NullPointerException("graph is null");
        }
        if (options == null) {
            try (Options o = new Options()) {
                return calibrate(graph, telemetry, o);
            }
        }
        synchronized (options) {
            long o = options.ptr();
            return write(s -> graph.read(g -> telemetry == null
                    ? nCalibrate(s, g, 0, o)
                    : telemetry.read(t -> nCalibrate(s, g, t, o))));
        }
    }

    /** The current calibration (active false when uncalibrated). */
    public Calibration calibration() {
        return write(Simulator::nCalibration);
    }

    /** The calibration with its per-stage factors, as JSON. */
    public String calibrationJson() {
        return write(s -> Gdfo.str(nCalibrationJson(s)));
    }

    /**
     * Predicts plan against the pipeline it was made from
     * (gdfo_sim_predict_plan): stored in the plan (its prediction() and JSON)
     * and returned; the calibrated model's when this simulator is calibrated.
     */
    public Plan.Prediction predict(Plan plan, Graph input, Options options) {
        if (plan == null || input == null) {
            throw new NullPointerException(plan == null ? "plan is null" : "input is null");
        }
        if (options == null) {
            try (Options o = new Options()) {
                return predict(plan, input, o);
            }
        }
        synchronized (options) {
            long o = options.ptr();
            write(s -> plan.write(p -> input.read(g -> {
                nPredict(s, p, g, o);
                return null;
            })));
        }
        return plan.prediction();
    }

    static native long nCreate(byte[] json, byte[] path);

    static native void nFree(long h);

    static native long nOptionsCreate();

    static native void nOptionsFree(long options);

    static native void nSetMode(long o, int v);
    static native int nGetMode(long o);
    static native void nSetSeed(long o, long v);
    static native long nGetSeed(long o);
    static native void nSetRuns(long o, int v);
    static native int nGetRuns(long o);
    static native void nSetReplay(long o, int v);
    static native int nGetReplay(long o);
    static native void nSetExecutors(long o, int v);
    static native int nGetExecutors(long o);
    static native void nSetCoresPerExecutor(long o, int v);
    static native int nGetCoresPerExecutor(long o);
    static native void nSetNoiseSigma(long o, double v);
    static native double nGetNoiseSigma(long o);
    static native void nSetStragglerProb(long o, double v);
    static native double nGetStragglerProb(long o);
    static native void nSetStragglerFactor(long o, double v);
    static native double nGetStragglerFactor(long o);
    static native void nSetFailureProb(long o, double v);
    static native double nGetFailureProb(long o);
    static native void nSetMaxAttempts(long o, int v);
    static native int nGetMaxAttempts(long o);
    static native void nSetDynamicAllocation(long o, int v);
    static native int nGetDynamicAllocation(long o);
    static native void nSetMinExecutors(long o, int v);
    static native int nGetMinExecutors(long o);
    static native void nSetMaxExecutors(long o, int v);
    static native int nGetMaxExecutors(long o);
    static native void nSetBacklogTimeoutMs(long o, double v);
    static native double nGetBacklogTimeoutMs(long o);
    static native void nSetIdleTimeoutMs(long o, double v);
    static native double nGetIdleTimeoutMs(long o);
    static native void nSetRunIndex(long o, int v);
    static native int nGetRunIndex(long o);
    static native void nSetBatches(long o, int v);
    static native int nGetBatches(long o);
    static native void nSetBatchIntervalMs(long o, double v);
    static native double nGetBatchIntervalMs(long o);
    static native void nSetReplayStageGapMs(long o, double v);
    static native double nGetReplayStageGapMs(long o);

    static native void nRunGraph(long sim, long graph, long options, ResultFields out);

    static native void nRunPlan(long sim, long plan, long options, ResultFields out);

    static native long nTelemetry(long sim, long graph, long plan);

    static native void nRunProfile(long sim, long profile, long options, ResultFields out);

    static native int nStageCount(long sim);

    static native void nStageAt(long sim, int index, StageFields out);

    static native byte[] nResultJson(long sim);

    static native byte[] nCalibrationJson(long sim);

    static native Calibration nCalibrate(long sim, long graph, long telemetry, long options);

    static native Calibration nCalibration(long sim);

    static native void nPredict(long sim, long plan, long graph, long options);
}

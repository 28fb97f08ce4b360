package org.gdfo;

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
 * <p>{@link #plan} may run on several threads at once; {@link #close()}
 * waits for calls in progress.
 */
public final class Optimizer extends NativeHandle {
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
        super(open(modelPath, options), "Optimizer");
    }

    private static long open(String modelPath, Options options) {
        Gdfo.load();
        byte[] model = modelPath == null ? null : Gdfo.utf8(modelPath, "modelPath");
        if (options == null) {
            return nOpen(model, 0);
        }
        synchronized (options) {
            return nOpen(model, options.ptr());
        }
    }

    @Override
    void free(long handle) {
        nClose(handle);
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
    static native void nSetClusterFile(long options, byte[] path);
    static native void nSetClusterJson(long options, byte[] json);

    static native long nOpen(byte[] model, long options);

    static native void nClose(long h);

    static native byte[] nModel(long h);

    static native long nPlan(long h, long graph, long telemetry, Diagnosis.Objective objective);
}

package org.gdfo;

/**
 * The rule-based optimizer (include/gdfo/rules.h). Options start at the
 * library's defaults, read from C, and are copied into a gdfo_rules_options
 * on the C side, so their layout cannot drift from the header.
 */
public final class Rules {
    private Rules() {
    }

    /** Options of gdfo_rules_options; setters return this for chaining. */
    public static final class Options {
        /* Same order as the C glue: switches, sizes, fractions. */
        final int[] switches = new int[7];
        final long[] sizes = new long[4];
        final double[] fractions = new double[2];

        /** The library's defaults. */
        public Options() {
            Gdfo.load();
            nDefaults(switches, sizes, fractions);
        }

        private Options sw(int i, boolean on) {
            switches[i] = on ? 1 : 0;
            return this;
        }

        public Options pushFilters(boolean on) {
            return sw(0, on);
        }

        public Options fuseNarrow(boolean on) {
            return sw(1, on);
        }

        public Options broadcastJoins(boolean on) {
            return sw(2, on);
        }

        public Options setPartitions(boolean on) {
            return sw(3, on);
        }

        public Options cacheShared(boolean on) {
            return sw(4, on);
        }

        public Options setPriorities(boolean on) {
            return sw(5, on);
        }

        public Options reorderJoins(boolean on) {
            return sw(6, on);
        }

        public Options targetPartitionBytes(long v) {
            sizes[0] = v;
            return this;
        }

        public Options minPartitionBytes(long v) {
            sizes[1] = v;
            return this;
        }

        public Options broadcastMaxBytes(long v) {
            sizes[2] = v;
            return this;
        }

        /** -1 derives the budget from the graph's executors and memory. */
        public Options cacheBudgetBytes(long v) {
            sizes[3] = v;
            return this;
        }

        public Options cacheMemoryFraction(double v) {
            fractions[0] = v;
            return this;
        }

        public Options partitionChangeMin(double v) {
            fractions[1] = v;
            return this;
        }

        public long broadcastMaxBytes() {
            return sizes[2];
        }

        public long targetPartitionBytes() {
            return sizes[0];
        }
    }

    /** Optimizes graph with the default options and no telemetry. */
    public static Plan optimize(Graph graph) {
        return optimize(graph, null, null);
    }

    /**
     * Optimizes graph (not modified) and returns a new plan (source "rules").
     * telemetry (may be null) is a previous run of the same pipeline; options
     * null means the defaults. Throws GdfoException (EINVAL for an invalid
     * graph or option, named in the message).
     */
    public static Plan optimize(Graph graph, Telemetry telemetry, Options options) {
        if (graph == null) {
            throw new NullPointerException("graph is null");
        }
        Options o = options != null ? options : new Options();
        long plan = graph.read(g -> telemetry == null
                ? nOptimize(g, 0, o.switches, o.sizes, o.fractions)
                : telemetry.read(t -> nOptimize(g, t, o.switches, o.sizes, o.fractions)));
        return new Plan(plan);
    }

    static native void nDefaults(int[] switches, long[] sizes, double[] fractions);

    static native long nOptimize(long graph, long telemetry, int[] switches, long[] sizes, double[] fractions);
}

package org.gdfo;

/**
 * The rule-based optimizer (include/gdfo/rules.h).
 */
public final class Rules {
    private Rules() {
    }

    /**
     * A gdfo_rules_options held on the C side (RocksJava's options objects):
     * created with the library's defaults ({@code gdfo_rules_options_init}),
     * each setter writes one named field of the C struct, each getter reads
     * one. Values are checked by {@link Rules#optimize}, which names an
     * option out of range. Setters return this for chaining. Closing is
     * optional (a Cleaner frees an unreachable one); see NativeOptions.
     */
    public static final class Options extends NativeOptions {
        /** The library's defaults. */
        public Options() {
            super(create(), Rules::nOptionsFree, "Rules.Options");
        }

        private static long create() {
            Gdfo.load();
            return nOptionsCreate();
        }

        /** Moves filters below projects and joins. Default and range: include/gdfo/rules.h (push_filters). */
        public synchronized Options pushFilters(boolean v) {
            nSetPushFilters(ptr(), v);
            return this;
        }

        /** The current push_filters. */
        public synchronized boolean pushFilters() {
            return nGetPushFilters(ptr());
        }

        /** Fuses chains of filter/project/udf stages. Default and range: include/gdfo/rules.h (fuse_narrow). */
        public synchronized Options fuseNarrow(boolean v) {
            nSetFuseNarrow(ptr(), v);
            return this;
        }

        /** The current fuse_narrow. */
        public synchronized boolean fuseNarrow() {
            return nGetFuseNarrow(ptr());
        }

        /** Broadcasts join inputs under broadcastMaxBytes. Default and range: include/gdfo/rules.h (broadcast_joins). */
        public synchronized Options broadcastJoins(boolean v) {
            nSetBroadcastJoins(ptr(), v);
            return this;
        }

        /** The current broadcast_joins. */
        public synchronized boolean broadcastJoins() {
            return nGetBroadcastJoins(ptr());
        }

        /** Sizes shuffle and scan partitions. Default and range: include/gdfo/rules.h (set_partitions). */
        public synchronized Options setPartitions(boolean v) {
            nSetSetPartitions(ptr(), v);
            return this;
        }

        /** The current set_partitions. */
        public synchronized boolean setPartitions() {
            return nGetSetPartitions(ptr());
        }

        /** Caches stages with two or more consumers. Default and range: include/gdfo/rules.h (cache_shared). */
        public synchronized Options cacheShared(boolean v) {
            nSetCacheShared(ptr(), v);
            return this;
        }

        /** The current cache_shared. */
        public synchronized boolean cacheShared() {
            return nGetCacheShared(ptr());
        }

        /** Gives critical-path-first priorities. Default and range: include/gdfo/rules.h (set_priorities). */
        public synchronized Options setPriorities(boolean v) {
            nSetSetPriorities(ptr(), v);
            return this;
        }

        /** The current set_priorities. */
        public synchronized boolean setPriorities() {
            return nGetSetPriorities(ptr());
        }

        /** Runs the more selective of two inner joins first (high-risk plans). Default and range: include/gdfo/rules.h (reorder_joins). */
        public synchronized Options reorderJoins(boolean v) {
            nSetReorderJoins(ptr(), v);
            return this;
        }

        /** The current reorder_joins. */
        public synchronized boolean reorderJoins() {
            return nGetReorderJoins(ptr());
        }

        /** Bytes per partition. Default and range: include/gdfo/rules.h (target_partition_bytes). */
        public synchronized Options targetPartitionBytes(long v) {
            nSetTargetPartitionBytes(ptr(), v);
            return this;
        }

        /** The current target_partition_bytes. */
        public synchronized long targetPartitionBytes() {
            return nGetTargetPartitionBytes(ptr());
        }

        /** Smallest partition when spreading over all cores. Default and range: include/gdfo/rules.h (min_partition_bytes). */
        public synchronized Options minPartitionBytes(long v) {
            nSetMinPartitionBytes(ptr(), v);
            return this;
        }

        /** The current min_partition_bytes. */
        public synchronized long minPartitionBytes() {
            return nGetMinPartitionBytes(ptr());
        }

        /** Largest input to broadcast. Default and range: include/gdfo/rules.h (broadcast_max_bytes). */
        public synchronized Options broadcastMaxBytes(long v) {
            nSetBroadcastMaxBytes(ptr(), v);
            return this;
        }

        /** The current broadcast_max_bytes. */
        public synchronized long broadcastMaxBytes() {
            return nGetBroadcastMaxBytes(ptr());
        }

        /** Memory for cached stages; -1 derives it from the graph's executors and memory, 0 caches on disk only. Default and range: include/gdfo/rules.h (cache_budget_bytes). */
        public synchronized Options cacheBudgetBytes(long v) {
            nSetCacheBudgetBytes(ptr(), v);
            return this;
        }

        /** The current cache_budget_bytes. */
        public synchronized long cacheBudgetBytes() {
            return nGetCacheBudgetBytes(ptr());
        }

        /** Fraction of executor memory a derived cache budget takes. Default and range: include/gdfo/rules.h (cache_memory_fraction). */
        public synchronized Options cacheMemoryFraction(double v) {
            nSetCacheMemoryFraction(ptr(), v);
            return this;
        }

        /** The current cache_memory_fraction. */
        public synchronized double cacheMemoryFraction() {
            return nGetCacheMemoryFraction(ptr());
        }

        /** Changes an explicit partition count only when the target differs by this fraction. Default and range: include/gdfo/rules.h (partition_change_min). */
        public synchronized Options partitionChangeMin(double v) {
            nSetPartitionChangeMin(ptr(), v);
            return this;
        }

        /** The current partition_change_min. */
        public synchronized double partitionChangeMin() {
            return nGetPartitionChangeMin(ptr());
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
        if (options == null) {
            try (Options o = new Options()) {
                return optimize(graph, telemetry, o);
            }
        }
        synchronized (options) {
            long o = options.ptr();
            long plan = graph.read(g -> telemetry == null
                    ? nOptimize(g, 0, o)
                    : telemetry.read(t -> nOptimize(g, t, o)));
            return new Plan(plan);
        }
    }

    /* A new gdfo_rules_options with the defaults; freed by nOptionsFree. */
    static native long nOptionsCreate();

    static native void nOptionsFree(long options);

    static native void nSetPushFilters(long options, boolean v);
    static native boolean nGetPushFilters(long options);
    static native void nSetFuseNarrow(long options, boolean v);
    static native boolean nGetFuseNarrow(long options);
    static native void nSetBroadcastJoins(long options, boolean v);
    static native boolean nGetBroadcastJoins(long options);
    static native void nSetSetPartitions(long options, boolean v);
    static native boolean nGetSetPartitions(long options);
    static native void nSetCacheShared(long options, boolean v);
    static native boolean nGetCacheShared(long options);
    static native void nSetSetPriorities(long options, boolean v);
    static native boolean nGetSetPriorities(long options);
    static native void nSetReorderJoins(long options, boolean v);
    static native boolean nGetReorderJoins(long options);
    static native void nSetTargetPartitionBytes(long options, long v);
    static native long nGetTargetPartitionBytes(long options);
    static native void nSetMinPartitionBytes(long options, long v);
    static native long nGetMinPartitionBytes(long options);
    static native void nSetBroadcastMaxBytes(long options, long v);
    static native long nGetBroadcastMaxBytes(long options);
    static native void nSetCacheBudgetBytes(long options, long v);
    static native long nGetCacheBudgetBytes(long options);
    static native void nSetCacheMemoryFraction(long options, double v);
    static native double nGetCacheMemoryFraction(long options);
    static native void nSetPartitionChangeMin(long options, double v);
    static native double nGetPartitionChangeMin(long options);

    static native long nOptimize(long graph, long telemetry, long options);
}

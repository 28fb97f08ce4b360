package org.gdfo;

/**
 * A stage to add to a {@link Graph}: a gdfo_stage held on the C side
 * (RocksJava's options objects). The constructor starts from the library's
 * defaults ({@code gdfo_stage_init}: selectivity 1, skew 1, every knob at
 * engine default) and sets the id, name and operator; each setter writes one
 * named field of the C struct. Enum values are by name, as {@link Stage}
 * gives them back ("join", "broadcast", "memory"); an unknown name throws
 * GdfoException(EINVAL) listing the known ones. The values themselves are
 * checked by {@link Graph#addStage}, whose message names the stage and field.
 * Setters return this for chaining; closing is optional (see NativeOptions).
 *
 * <pre>{@code
 * try (Graph g = Graph.create("etl")) {
 *     g.addStage(new StageSpec(1, "orders", "source").rowsIn(1e6).bytesIn(1e8)
 *             .columnsWritten("id", "amount"));
 *     g.addStage(new StageSpec(2, "big_orders", "filter").selectivity(0.1).columnsRead("amount"));
 *     g.addEdge(1, 2);
 * }
 * }</pre>
 */
public final class StageSpec extends NativeOptions {
    /** A stage with this id (unique in its graph, >= 0), name and operator ("source", "join"...). */
    public StageSpec(long id, String name, String op) {
        super(create(id, name, op), StageSpec::nFree, "StageSpec");
    }

    private static long create(long id, String name, String op) {
        Gdfo.load();
        return nCreate(id, Gdfo.utf8(name, "name"), Gdfo.utf8(op, "op"));
    }

    private static byte[][] names(String[] values, String what) {
        if (values == null) {
            throw new NullPointerException(what + " is null");
        }
        byte[][] out = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = Gdfo.utf8(values[i], what + "[" + i + "]");
        }
        return out;
    }

    /** Joins only: "inner", "left", "right", "full", "semi", "anti". */
    public synchronized StageSpec joinType(String v) {
        nSetJoinType(ptr(), Gdfo.utf8(v, "joinType"));
        return this;
    }

    /** The operators fused into this stage ("filter", "project"...). */
    public synchronized StageSpec fusedOps(String... ops) {
        nSetFusedOps(ptr(), names(ops, "fusedOps"));
        return this;
    }

    /** Rows read from all inputs. */
    public synchronized StageSpec rowsIn(double v) {
        nSetRowsIn(ptr(), v);
        return this;
    }

    /** Bytes read from all inputs. */
    public synchronized StageSpec bytesIn(double v) {
        nSetBytesIn(ptr(), v);
        return this;
    }

    /** Rows out / rows in (may exceed 1). */
    public synchronized StageSpec selectivity(double v) {
        nSetSelectivity(ptr(), v);
        return this;
    }

    /** Distinct keys (join, aggregate, window, sort). */
    public synchronized StageSpec keyCardinality(double v) {
        nSetKeyCardinality(ptr(), v);
        return this;
    }

    /** Largest partition / mean partition, at least 1. */
    public synchronized StageSpec skew(double v) {
        nSetSkew(ptr(), v);
        return this;
    }

    /** CPU nanoseconds per input row. */
    public synchronized StageSpec cpuNsPerRow(double v) {
        nSetCpuNsPerRow(ptr(), v);
        return this;
    }

    /**
     * Sets any statistic or knob by its C and JSON name ("rows_in",
     * "partitions"), as listed by the library's field tables, so fields the
     * library adds later are settable without a change to this class. Throws
     * GdfoException (EINVAL) for an unknown name, an enum field (use
     * {@link #set(String, String)}) or a fraction for an integer field.
     */
    public synchronized StageSpec set(String field, double value) {
        nSetField(ptr(), Gdfo.utf8(field, "field"), value);
        return this;
    }

    /** Sets an enum knob by its value name ("join_strategy", "broadcast"). */
    public synchronized StageSpec set(String field, String valueName) {
        nSetFieldName(ptr(), Gdfo.utf8(field, "field"), Gdfo.utf8(valueName, "valueName"));
        return this;
    }

    /** Partition count; 0 is the engine default. */
    public synchronized StageSpec partitions(int v) {
        nSetPartitions(ptr(), v);
        return this;
    }

    /** Joins only: "auto", "broadcast", "shuffle_hash", "sort_merge". */
    public synchronized StageSpec joinStrategy(String v) {
        nSetJoinStrategy(ptr(), Gdfo.utf8(v, "joinStrategy"));
        return this;
    }

    /** "none", "memory" or "disk". */
    public synchronized StageSpec cache(String v) {
        nSetCache(ptr(), Gdfo.utf8(v, "cache"));
        return this;
    }

    /** Higher runs first. */
    public synchronized StageSpec priority(int v) {
        nSetPriority(ptr(), v);
        return this;
    }

    /** Sinks: target output file size; 0 or at least 1 MiB. */
    public synchronized StageSpec targetFileBytes(long v) {
        nSetTargetFileBytes(ptr(), v);
        return this;
    }

    /** Sinks: compact every N runs; 0 never. */
    public synchronized StageSpec compactionEvery(int v) {
        nSetCompactionEvery(ptr(), v);
        return this;
    }

    /** The input columns the stage's logic reads (replaces earlier ones). */
    public synchronized StageSpec columnsRead(String... columns) {
        nSetColumns(ptr(), false, names(columns, "columnsRead"));
        return this;
    }

    /** The columns the stage creates or overwrites (replaces earlier ones). */
    public synchronized StageSpec columnsWritten(String... columns) {
        nSetColumns(ptr(), true, names(columns, "columnsWritten"));
        return this;
    }

    /* A new native stage after gdfo_stage_init, with id, name and op set; freed by nFree. */
    static native long nCreate(long id, byte[] name, byte[] op);

    static native void nFree(long spec);

    static native void nSetJoinType(long spec, byte[] name);

    static native void nSetFusedOps(long spec, byte[][] names);

    static native void nSetRowsIn(long spec, double v);

    static native void nSetBytesIn(long spec, double v);

    static native void nSetSelectivity(long spec, double v);

    static native void nSetKeyCardinality(long spec, double v);

    static native void nSetSkew(long spec, double v);

    static native void nSetCpuNsPerRow(long spec, double v);

    static native void nSetPartitions(long spec, int v);

    static native void nSetJoinStrategy(long spec, byte[] name);

    static native void nSetCache(long spec, byte[] name);

    static native void nSetPriority(long spec, int v);

    static native void nSetTargetFileBytes(long spec, long v);

    static native void nSetCompactionEvery(long spec, int v);

    static native void nSetColumns(long spec, boolean written, byte[][] columns);

    private static native void nSetField(long spec, byte[] field, double value);

    private static native void nSetFieldName(long spec, byte[] field, byte[] valueName);
}

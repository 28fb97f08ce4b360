package org.gdfo;

import java.util.ArrayList;
import java.util.List;

/**
 * A pipeline graph (include/gdfo/graph.h). Create one with
 * {@link #fromJson(String)}, {@link #load(String)} or {@link #create(String)}
 * followed by {@link #addStage(StageSpec)} and {@link #addEdge(long, long)};
 * close it (try-with-resources) to free the native memory. Reads may run on
 * several threads at once; mutations wait for them.
 */
public final class Graph extends NativeHandle implements Iterable<Stage> {
    static final String[] OPS = {"source", "filter", "project", "join", "aggregate", "sort", "window",
        "union", "udf", "sink"};

    Graph(long handle) {
        super(handle, "Graph");
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    /** An empty graph (gdfo_graph_create); name null means "pipeline". */
    public static Graph create(String name) {
        Gdfo.load();
        return new Graph(nCreate(name == null ? null : Gdfo.utf8(name, "name")));
    }

    /**
     * Copies a stage into the graph (gdfo_graph_add_stage): checked on its own
     * (id, name, operator, statistics, knobs, columns); edges are added with
     * {@link #addEdge}. Throws GdfoException (EINVAL naming the stage and field,
     * EEXISTS for a duplicate id); on failure the graph is unchanged.
     */
    public void addStage(StageSpec stage) {
        putStage(stage, false);
    }

    /** Replaces the stage with the same id (gdfo_graph_update_stage); its edges stay. ENOTFOUND if none. */
    public void updateStage(StageSpec stage) {
        putStage(stage, true);
    }

    private void putStage(StageSpec stage, boolean update) {
        if (stage == null) {
            throw new NullPointerException("stage is null");
        }
        synchronized (stage) {
            long s = stage.ptr();
            write(h -> {
                nPutStage(h, s, update);
                return null;
            });
        }
    }

    /**
     * Adds the edge parent -> child (gdfo_graph_add_edge); the order of a
     * stage's parents is kept (a join's first parent is its left side).
     * Throws GdfoException: ENOTFOUND (either id missing), EEXISTS (edge
     * present), EINVAL (self edge), ECYCLE (the edge would close a cycle).
     */
    public void addEdge(long parentId, long childId) {
        write(h -> {
            nAddEdge(h, parentId, childId);
            return null;
        });
    }

    /** Parses and validates a gdfo-pipeline/1 document. */
    public static Graph fromJson(String json) {
        Gdfo.load();
        return new Graph(nFromJson(Gdfo.utf8(json, "json")));
    }

    /** Reads and validates a gdfo-pipeline/1 file. */
    public static Graph load(String path) {
        Gdfo.load();
        return new Graph(nLoad(Gdfo.utf8(path, "path")));
    }

    public String toJson() {
        return read(h -> Gdfo.str(nToJson(h)));
    }

    /** Writes the graph as JSON to path, atomically. */
    public void save(String path) {
        byte[] p = Gdfo.utf8(path, "path");
        read(h -> {
            nSave(h, p);
            return null;
        });
    }

    /** An independent deep copy (close it too). */
    public Graph copy() {
        return new Graph(read(Graph::nClone));
    }

    public String name() {
        return read(h -> Gdfo.str(nName(h)));
    }

    public int stageCount() {
        return read(Graph::nStageCount);
    }

    /** Throws GdfoException (EINVAL, ECYCLE) naming the stage and field at fault. */
    public void validate() {
        read(h -> {
            nValidate(h);
            return null;
        });
    }

    /** The 64-bit shape fingerprint (stable as statistics drift), as an unsigned value in a long. */
    public long fingerprint() {
        return read(Graph::nFingerprint);
    }

    /** Stage ids in topological order (parents first, ties by insertion order). */
    public long[] topoOrder() {
        return read(Graph::nTopoOrder);
    }

    /** The stages (copies taken when iteration starts), in insertion order. */
    @Override
    public java.util.Iterator<Stage> iterator() {
        return stages().iterator();
    }

    /** Copies of every stage, in insertion order. */
    public List<Stage> stages() {
        return read(h -> {
            int n = nStageCount(h);
            List<Stage> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(stageAt(h, i));
            }
            return out;
        });
    }

    /** The resource blueprint (gdfo_graph_get_knobs). */
    public GraphKnobs knobs() {
        return read(Graph::nKnobs);
    }

    /** Sets the resource blueprint; GdfoException(EINVAL) names a field out of range. */
    public void setKnobs(GraphKnobs knobs) {
        if (knobs == null) {
            throw new NullPointerException("knobs is null");
        }
        write(h -> {
            nSetKnobs(h, knobs.executors(), knobs.coresPerExecutor(), knobs.memoryPerExecutorBytes());
            return null;
        });
    }

    /**
     * A graph knob by its C and JSON name, from the library's field table
     * (gdfo_field_at): the resource blueprint and the application's engine
     * settings ("shuffle_partitions", "broadcast_threshold_bytes",
     * "adaptive", "shuffle_reuse", ...; include/gdfo/graph.h). Long for
     * integers, String for enums ("on", "off", "default"), Double for real
     * numbers. GdfoException(EINVAL) for a name the library does not have.
     */
    public Object knob(String name) {
        byte[] n = Gdfo.utf8(name, "name");
        Object v = read(h -> nKnob(h, n));
        return v instanceof byte[] b ? Gdfo.str(b) : v;
    }

    /** Sets a numeric graph knob by name; the library checks its range. */
    public void setKnob(String name, double value) {
        byte[] n = Gdfo.utf8(name, "name");
        write(h -> {
            nSetKnob(h, n, value, null);
            return null;
        });
    }

    /** Sets an enum graph knob by value name ("on", "off", "default"). */
    public void setKnob(String name, String valueName) {
        byte[] n = Gdfo.utf8(name, "name");
        byte[] v = Gdfo.utf8(valueName, "valueName");
        write(h -> {
            nSetKnob(h, n, 0, v);
            return null;
        });
    }

    /** The cluster the pipeline runs on (gdfo_graph_get_cluster). */
    public Cluster cluster() {
        return read(Graph::nCluster);
    }

    /** Sets the cluster; GdfoException(EINVAL) names a field out of range. */
    public void setCluster(Cluster cluster) {
        if (cluster == null) {
            throw new NullPointerException("cluster is null");
        }
        write(h -> {
            nSetCluster(h, cluster.executorsAvailable(), cluster.pricePerExecutorSecond(), cluster.sloMs());
            return null;
        });
    }

    /* What nStageAt fills, one field at a time by name (the C side never sees an order). */
    static final class StageFields {
        long id;
        byte[] name;
        int op;
        int joinType;
        int fusedOps;
        double rowsIn;
        double bytesIn;
        double selectivity;
        double keyCardinality;
        double skew;
        double cpuNsPerRow;
        int partitions;
        int joinStrategy;
        int cache;
        int priority;
        long targetFileBytes;
        int compactionEvery;
        byte[][] columnsRead;
        byte[][] columnsWritten;
        byte[][] fieldNames;   /* every statistic and knob, from the C field tables */
        double[] fieldValues;
        long[] fieldTypes;     /* gdfo_field_type: 0 double, 1 int32, 2 int64, 3 enum */
        byte[][] fieldEnums;   /* the value's name for enum fields, else empty */
    }

    private static Stage stageAt(long h, int i) {
        StageFields f = new StageFields();
        nStageAt(h, i, f);
        List<String> fused = new ArrayList<>();
        for (int k = 0; k < OPS.length; k++) {
            if ((f.fusedOps & (1 << k)) != 0) {
                fused.add(OPS[k]);
            }
        }
        return new Stage(f.id, Gdfo.str(f.name), Gdfo.str(nEnumName(0, f.op)),
                f.op == 3 ? Gdfo.str(nEnumName(1, f.joinType)) : null, List.copyOf(fused),
                f.rowsIn, f.bytesIn, f.selectivity, f.keyCardinality, f.skew, f.cpuNsPerRow,
                f.partitions, Gdfo.str(nEnumName(2, f.joinStrategy)), Gdfo.str(nEnumName(3, f.cache)),
                f.priority, f.targetFileBytes, f.compactionEvery,
                strings(f.columnsRead), strings(f.columnsWritten),
                ids(nStageNeighbours(h, i, false)), ids(nStageNeighbours(h, i, true)), fields(f));
    }

    private static java.util.Map<String, Object> fields(StageFields f) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (int k = 0; k < f.fieldNames.length; k++) {
            long type = f.fieldTypes[k];
            double v = f.fieldValues[k];
            out.put(Gdfo.str(f.fieldNames[k]), type == 3 ? (Object) Gdfo.str(f.fieldEnums[k])
                    : type == 0 ? (Object) v : (Object) (long) v);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static List<String> strings(byte[][] arr) {
        List<String> out = new ArrayList<>(arr.length);
        for (byte[] b : arr) {
            out.add(Gdfo.str(b));
        }
        return List.copyOf(out);
    }

    private static List<Long> ids(long[] arr) {
        List<Long> out = new ArrayList<>(arr.length);
        for (long v : arr) {
            out.add(v);
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return isClosed() ? "Graph(closed)" : "Graph(" + name() + ", " + stageCount() + " stages)";
    }

    static native long nCreate(byte[] name);

    /* gdfo_graph_add_stage, or gdfo_graph_update_stage when update, of a StageSpec's stage. */
    static native void nPutStage(long h, long stageSpec, boolean update);

    static native void nAddEdge(long h, long parentId, long childId);

    static native long nFromJson(byte[] json);

    static native long nLoad(byte[] path);

    static native void nFree(long h);

    static native byte[] nToJson(long h);

    static native void nSave(long h, byte[] path);

    static native long nClone(long h);

    static native byte[] nName(long h);

    static native int nStageCount(long h);

    static native void nValidate(long h);

    static native long nFingerprint(long h);

    static native long[] nTopoOrder(long h);

    static native void nStageAt(long h, int index, StageFields out);

    static native long[] nStageNeighbours(long h, int index, boolean children);

    static native GraphKnobs nKnobs(long h);

    static native Object nKnob(long h, byte[] name);

    static native void nSetKnob(long h, byte[] name, double value, byte[] valueName);

    /* Reads the knobs, sets these three named fields, writes them back. */
    static native void nSetKnobs(long h, int executors, int coresPerExecutor, long memoryPerExecutorBytes);

    static native Cluster nCluster(long h);

    static native void nSetCluster(long h, int executorsAvailable, double pricePerExecutorSecond, double sloMs);

    /* Name of an enum value: kind 0 op, 1 join type, 2 join strategy, 3 cache level,
       4 change kind, 5 risk. */
    static native byte[] nEnumName(int kind, int value);
}

package org.gdfo;

import java.util.ArrayList;
import java.util.List;

/**
 * A pipeline graph (include/gdfo/graph.h). Create one with
 * {@link #fromJson(String)} or {@link #load(String)}; close it (try-with-resources)
 * to free the native memory. Reads may run on several threads at once.
 */
public final class Graph extends NativeHandle {
    static final String[] OPS = {"source", "filter", "project", "join", "aggregate", "sort", "window",
        "union", "udf", "sink"};

    Graph(long handle) {
        super(handle, "Graph");
    }

    @Override
    void free(long handle) {
        nFree(handle);
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

    /** Resource blueprint: {executors, coresPerExecutor, memoryPerExecutorBytes}. */
    public long[] knobs() {
        return read(Graph::nKnobs);
    }

    /** Cluster context: {executorsAvailable, pricePerExecutorSecond, sloMs}. */
    public double[] cluster() {
        return read(Graph::nCluster);
    }

    private static Stage stageAt(long h, int i) {
        double[] stats = new double[6];
        long[] ints = new long[10];
        String name = Gdfo.str(nStageAt(h, i, stats, ints));
        int op = (int) ints[1];
        List<String> fused = new ArrayList<>();
        for (int k = 0; k < OPS.length; k++) {
            if ((ints[3] & (1L << k)) != 0) {
                fused.add(OPS[k]);
            }
        }
        return new Stage(ints[0], name, Gdfo.str(nEnumName(0, op)),
                op == 3 ? Gdfo.str(nEnumName(1, (int) ints[2])) : null, List.copyOf(fused),
                stats[0], stats[1], stats[2], stats[3], stats[4], stats[5],
                (int) ints[4], Gdfo.str(nEnumName(2, (int) ints[5])), Gdfo.str(nEnumName(3, (int) ints[6])),
                (int) ints[7], ints[8], (int) ints[9],
                strings(nStageColumns(h, i, false)), strings(nStageColumns(h, i, true)),
                ids(nStageNeighbours(h, i, false)), ids(nStageNeighbours(h, i, true)));
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

    /* Fills stats (6) and ints {id, op, join_type, fused_ops, partitions, join_strategy,
       cache, priority, target_file_bytes, compaction_every}; returns the name. */
    static native byte[] nStageAt(long h, int index, double[] stats, long[] ints);

    static native byte[][] nStageColumns(long h, int index, boolean written);

    static native long[] nStageNeighbours(long h, int index, boolean children);

    static native long[] nKnobs(long h);

    static native double[] nCluster(long h);

    /* Name of an enum value: kind 0 op, 1 join type, 2 join strategy, 3 cache level,
       4 change kind, 5 risk. */
    static native byte[] nEnumName(int kind, int value);
}

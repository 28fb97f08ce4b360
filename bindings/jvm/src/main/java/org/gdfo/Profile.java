package org.gdfo;

import java.util.ArrayList;
import java.util.List;

/** A job profile ("gdfo-job-profile/1", include/gdfo/profile.h): measured task durations. */
public final class Profile extends NativeHandle {
    /** One stage: id, parent ids, task count and task durations at the profile's executor count. */
    public record StageRecord(long id, long[] parents, long numTasks, double[] taskMs) {
    }

    Profile(long handle) {
        super(handle, "Profile");
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    public static Profile fromJson(String json) {
        Gdfo.load();
        return new Profile(nFromJson(Gdfo.utf8(json, "json")));
    }

    public static Profile load(String path) {
        Gdfo.load();
        return new Profile(nLoad(Gdfo.utf8(path, "path")));
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

    public String name() {
        return read(h -> Gdfo.str(nName(h)));
    }

    /** The executor count the profile was measured at. */
    public int executors() {
        return read(Profile::nExecutors);
    }

    /** The cores per executor the profile was measured at. */
    public int coresPerExecutor() {
        return read(Profile::nCoresPerExecutor);
    }

    /** {executors(), coresPerExecutor()}. */
    public int[] shape() {
        return read(h -> new int[] {nExecutors(h), nCoresPerExecutor(h)});
    }

    /* What nStageAt fills, one field at a time by name. */
    static final class StageFields {
        long id;
        long numTasks;
        long[] parents;
        double[] taskMs;
    }

    public List<StageRecord> stages() {
        return read(h -> {
            int n = nStageCount(h);
            List<StageRecord> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                StageFields f = new StageFields();
                nStageAt(h, i, f);
                out.add(new StageRecord(f.id, f.parents, f.numTasks, f.taskMs));
            }
            return out;
        });
    }

    static native long nFromJson(byte[] json);

    static native long nLoad(byte[] path);

    static native void nFree(long h);

    static native byte[] nToJson(long h);

    static native void nSave(long h, byte[] path);

    static native byte[] nName(long h);

    static native int nExecutors(long h);

    static native int nCoresPerExecutor(long h);

    static native int nStageCount(long h);

    static native void nStageAt(long h, int index, StageFields out);
}

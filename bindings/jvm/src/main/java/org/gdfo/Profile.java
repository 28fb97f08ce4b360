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

    /** {executors, coresPerExecutor} the profile was measured at. */
    public int[] shape() {
        return read(Profile::nShape);
    }

    public List<StageRecord> stages() {
        return read(h -> {
            int n = nStageCount(h);
            List<StageRecord> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long[] idTasks = new long[2];
                long[] parents = nStageAt(h, i, idTasks);
                out.add(new StageRecord(idTasks[0], parents, idTasks[1], nStageTaskMs(h, i)));
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

    static native int[] nShape(long h);

    static native int nStageCount(long h);

    /* Fills {id, num_tasks}; returns the parent ids. */
    static native long[] nStageAt(long h, int index, long[] idTasks);

    static native double[] nStageTaskMs(long h, int index);
}

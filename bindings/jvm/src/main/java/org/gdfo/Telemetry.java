package org.gdfo;

import java.util.ArrayList;
import java.util.List;

/**
 * What one run of a pipeline measured (include/gdfo/telemetry.h). A value
 * that was not measured is {@link #UNKNOWN} (-1).
 */
public final class Telemetry extends NativeHandle {
    public static final double UNKNOWN = -1.0;

    /** One stage's measurements; fields as in gdfo_stage_telemetry. */
    public record StageRecord(long stageId, double durationMs, double tasks, double taskMsMedian,
            double taskMsMax, double shuffleReadBytes, double shuffleWriteBytes, double spillBytes,
            double peakMemoryBytes, double cpuMs, double failures) {
        /** A record with every measurement unknown but the duration. */
        public static StageRecord ofDuration(long stageId, double durationMs) {
            return new StageRecord(stageId, durationMs, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                    UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN);
        }
    }

    /** The run as a whole; fields as in gdfo_run_telemetry. */
    public record Run(boolean success, double latencyMs, double records, double throughput, double cost) {
    }

    Telemetry(long handle) {
        super(handle, "Telemetry");
    }

    /** Empty telemetry (run fields unknown). */
    public Telemetry() {
        this(create());
    }

    private static long create() {
        Gdfo.load();
        return nCreate();
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    public static Telemetry fromJson(String json) {
        Gdfo.load();
        return new Telemetry(nFromJson(Gdfo.utf8(json, "json")));
    }

    public static Telemetry load(String path) {
        Gdfo.load();
        return new Telemetry(nLoad(Gdfo.utf8(path, "path")));
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

    public int stageCount() {
        return read(Telemetry::nStageCount);
    }

    public List<StageRecord> stages() {
        return read(h -> {
            int n = nStageCount(h);
            List<StageRecord> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(nStageAt(h, i));
            }
            return out;
        });
    }

    /** Adds the record of r.stageId(), replacing an earlier one. */
    public void setStage(StageRecord r) {
        if (r == null) {
            throw new NullPointerException("record is null");
        }
        write(h -> {
            nSetStage(h, r);
            return null;
        });
    }

    public Run run() {
        return read(Telemetry::nGetRun);
    }

    public void setRun(Run r) {
        if (r == null) {
            throw new NullPointerException("run is null");
        }
        write(h -> {
            nSetRun(h, r);
            return null;
        });
    }

    static native long nCreate();

    static native long nFromJson(byte[] json);

    static native long nLoad(byte[] path);

    static native void nFree(long h);

    static native byte[] nToJson(long h);

    static native void nSave(long h, byte[] path);

    static native int nStageCount(long h);

    /* The C side builds and reads the records through their constructors and
       accessors by name; no positional arrays. */
    static native StageRecord nStageAt(long h, int index);

    static native void nSetStage(long h, StageRecord record);

    static native Run nGetRun(long h);

    static native void nSetRun(long h, Run run);
}

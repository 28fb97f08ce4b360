package org.gdfo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Spark event log (include/gdfo/ingest.h): plain, zstd or gzip, streamed
 * from the file. Malformed lines are counted and skipped and a log cut short
 * is read up to the cut; corrupt compressed data throws GdfoException(EFORMAT).
 */
public final class EventLog extends NativeHandle {
    /** The keys of {@link #summary()}, in the order of `gdfo ingest --summary`. */
    public static final String[] SUMMARY_KEYS = {"stages_completed", "stages_failed", "tasks",
        "tasks_failed", "executor_run_ms", "shuffle_write_bytes", "shuffle_read_bytes",
        "memory_spill_bytes", "disk_spill_bytes", "executors_added", "executors_removed",
        "malformed_lines", "app_duration_ms"};

    EventLog(long handle) {
        super(handle, "EventLog");
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    /** Reads the log at path; name (may be null) names the graph and profile built from it. */
    public static EventLog read(String path, String name) {
        Gdfo.load();
        return new EventLog(nRead(Gdfo.utf8(path, "path"), name == null ? null : Gdfo.utf8(name, "name")));
    }

    public static EventLog read(String path) {
        return read(path, null);
    }

    /** Reads a log held in memory (plain or compressed). */
    public static EventLog fromBytes(byte[] data) {
        if (data == null) {
            throw new NullPointerException("data is null");
        }
        Gdfo.load();
        return new EventLog(nReadMemory(data));
    }

    /* What nSummary fills, one field at a time by name. */
    static final class SummaryFields {
        long stagesCompleted;
        long stagesFailed;
        long tasks;
        long tasksFailed;
        long executorRunMs;
        long shuffleWriteBytes;
        long shuffleReadBytes;
        long memorySpillBytes;
        long diskSpillBytes;
        long executorsAdded;
        long executorsRemoved;
        long malformedLines;
        long appDurationMs;
        int hasAppDuration;
    }

    /** The summary counts, keyed as {@link #SUMMARY_KEYS}; app_duration_ms is null when unknown. */
    public Map<String, Long> summary() {
        SummaryFields f = new SummaryFields();
        read(h -> {
            nSummary(h, f);
            return null;
        });
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("stages_completed", f.stagesCompleted);
        out.put("stages_failed", f.stagesFailed);
        out.put("tasks", f.tasks);
        out.put("tasks_failed", f.tasksFailed);
        out.put("executor_run_ms", f.executorRunMs);
        out.put("shuffle_write_bytes", f.shuffleWriteBytes);
        out.put("shuffle_read_bytes", f.shuffleReadBytes);
        out.put("memory_spill_bytes", f.memorySpillBytes);
        out.put("disk_spill_bytes", f.diskSpillBytes);
        out.put("executors_added", f.executorsAdded);
        out.put("executors_removed", f.executorsRemoved);
        out.put("malformed_lines", f.malformedLines);
        out.put("app_duration_ms", f.hasAppDuration != 0 ? f.appDurationMs : null);
        return Collections.unmodifiableMap(out);
    }

    /** The summary as the one-line JSON object `gdfo ingest --summary` prints. */
    public String summaryJson() {
        return read(h -> Gdfo.str(nSummaryJson(h)));
    }

    /** A new graph of the completed stages (GdfoException ENOTFOUND if there is none). */
    public Graph graph() {
        return new Graph(read(EventLog::nGraph));
    }

    public Telemetry telemetry() {
        return new Telemetry(read(EventLog::nTelemetry));
    }

    /** A new job profile (GdfoException ENOTFOUND if no stage has a successful task). */
    public Profile profile() {
        return new Profile(read(EventLog::nProfile));
    }

    /** Reads the log at path and returns its summary. */
    public static Map<String, Long> summary(String path) {
        try (EventLog log = read(path)) {
            return log.summary();
        }
    }

    static native long nRead(byte[] path, byte[] name);

    static native long nReadMemory(byte[] data);

    static native void nFree(long h);

    static native void nSummary(long h, SummaryFields out);

    static native byte[] nSummaryJson(long h);

    static native long nGraph(long h);

    static native long nTelemetry(long h);

    static native long nProfile(long h);
}

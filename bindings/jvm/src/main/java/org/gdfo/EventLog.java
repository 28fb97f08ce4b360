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

    /** The summary counts, keyed as {@link #SUMMARY_KEYS}; app_duration_ms is null when unknown. */
    public Map<String, Long> summary() {
        long[] v = read(EventLog::nSummary);
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < SUMMARY_KEYS.length; i++) {
            out.put(SUMMARY_KEYS[i], v[i]);
        }
        if (v[SUMMARY_KEYS.length] == 0) {
            out.put("app_duration_ms", null);
        }
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

    /* The 13 summary values then has_app_duration (0 or 1). */
    static native long[] nSummary(long h);

    static native byte[] nSummaryJson(long h);

    static native long nGraph(long h);

    static native long nTelemetry(long h);

    static native long nProfile(long h);
}

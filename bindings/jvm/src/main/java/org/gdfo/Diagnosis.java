package org.gdfo;

/**
 * Diagnostics, the Spark advisor and the what-if table of one run
 * (include/gdfo/diag.h, docs/advisor.md): ranked findings, a paste-ready
 * spark-submit block and latency, cost and utilization over executor counts.
 * The results come as the library's JSON documents (gdfo-diagnosis/1, and the
 * what-if form {"what_if": [...], "recommended": {...}}) and the conf text.
 */
public final class Diagnosis extends NativeHandle {
    /** Parts of {@link #toJson(int)}. */
    public static final int FINDINGS = 1;
    public static final int ADVICE = 2;
    public static final int WHAT_IF = 4;

    /** What the advice and the recommended executor count optimize; fields as in gdfo_objective. */
    public record Objective(double throughputWeight, double latencyWeight, double costWeight, double sloMs,
            double costCeiling, double failurePenalty) {
        /** gdfo_objective_init's defaults: every weight 1, no SLO, no ceiling, penalty 1. */
        public static Objective defaults() {
            return new Objective(1, 1, 1, 0, 0, 1);
        }
    }

    Diagnosis(long handle) {
        super(handle, "Diagnosis");
    }

    @Override
    void free(long handle) {
        nFree(handle);
    }

    /** Diagnoses the event log at path with the default objective over 10 to 500 % of the executors. */
    public static Diagnosis ofEventLog(String path) {
        return ofEventLog(path, null, 10, 500);
    }

    /** objective may be null (the defaults); minPct..maxPct is the what-if range in % of the observed count. */
    public static Diagnosis ofEventLog(String path, Objective objective, int minPct, int maxPct) {
        Gdfo.load();
        return new Diagnosis(nEventLog(Gdfo.utf8(path, "path"), objective, minPct, maxPct));
    }

    /** Diagnoses a job profile: findings its task times support and the what-if table. */
    public static Diagnosis ofProfile(Profile profile, Objective objective, int minPct, int maxPct) {
        if (profile == null) {
            throw new NullPointerException("profile is null");
        }
        Gdfo.load();
        return profile.read(h -> new Diagnosis(nProfile(h, objective, minPct, maxPct)));
    }

    /** The parts asked for (FINDINGS | ADVICE | WHAT_IF); WHAT_IF alone is the what-if form. */
    public String toJson(int parts) {
        return read(h -> Gdfo.str(nToJson(h, parts)));
    }

    public String toJson() {
        return toJson(FINDINGS | ADVICE | WHAT_IF);
    }

    /** {"what_if": [{"executors", "latency_ms", "cost", "utilization"}...], "recommended": {...}}. */
    public String whatIfJson() {
        return toJson(WHAT_IF);
    }

    /** The advised configuration as a spark-submit block: comment lines, then --conf lines. */
    public String conf() {
        return read(h -> Gdfo.str(nConf(h)));
    }

    public int findingCount() {
        return read(Diagnosis::nFindingCount);
    }

    private static native long nEventLog(byte[] path, Objective objective, int minPct, int maxPct);

    private static native long nProfile(long profile, Objective objective, int minPct, int maxPct);

    private static native void nFree(long handle);

    private static native byte[] nToJson(long handle, int parts);

    private static native byte[] nConf(long handle);

    private static native int nFindingCount(long handle);
}

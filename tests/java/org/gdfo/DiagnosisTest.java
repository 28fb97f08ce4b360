package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Diagnostics and the advisor through the Java binding (docs/advisor.md). */
class DiagnosisTest {
    private static final Path AQE = TestPaths.EVENTS.resolve("spark-rapids-tools/aqeshuffle_eventlog.zstd");

    @Test
    void diagnosesALogAndPrintsAConfBlock() {
        assumeTrue(Files.exists(AQE));
        try (Diagnosis d = Diagnosis.ofEventLog(AQE.toString())) {
            assertTrue(d.findingCount() > 0);
            String json = d.toJson();
            assertTrue(json.startsWith("{\"format\": \"gdfo-diagnosis/1\""), json);
            assertTrue(json.contains("\"kind\": \"spill\""), json);
            String[] lines = d.conf().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("--conf spark.") && !last.endsWith("\\"), last);
            assertTrue(d.whatIfJson().startsWith("{\"what_if\": [{\"executors\": 1, "));
        }
    }

    @Test
    void theObjectiveMovesTheRecommendation() {
        Path nds = TestPaths.EVENTS.resolve("spark-rapids-tools/nds_q72_dataproc_2_2.zstd");
        assumeTrue(Files.exists(nds));
        try (EventLog log = EventLog.read(nds.toString()); Profile p = log.profile();
                Diagnosis fast = Diagnosis.ofProfile(p, new Diagnosis.Objective(0, 1, 0, 0, 0, 1), 10, 500);
                Diagnosis cheap = Diagnosis.ofProfile(p, new Diagnosis.Objective(0, 0, 1, 0, 0, 1), 10, 500)) {
            assertTrue(recommended(fast.whatIfJson()) > recommended(cheap.whatIfJson()));
        }
    }

    @Test
    void badArgumentsThrow() {
        assumeTrue(Files.exists(AQE));
        GdfoException e = assertThrows(GdfoException.class, () -> Diagnosis.ofEventLog(AQE.toString(), null, 0, 500));
        assertEquals(Gdfo.EINVAL, e.status());
        assertTrue(e.getMessage().contains("whatif_min_pct"), e.getMessage());
        Diagnosis d = Diagnosis.ofEventLog(AQE.toString());
        d.close();
        d.close();
        assertThrows(GdfoException.class, d::conf);
    }

    private static int recommended(String whatIf) {
        String key = "\"recommended\": {\"executors\": ";
        int at = whatIf.indexOf(key) + key.length();
        return Integer.parseInt(whatIf.substring(at, whatIf.indexOf(',', at)));
    }
}

package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Event-log ingestion through the Java binding, checked against `gdfo ingest --summary`. */
class IngestTest {
    private static List<Path> logs() throws IOException {
        if (!Files.isDirectory(TestPaths.EVENTS)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(TestPaths.EVENTS)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals("README.md")
                            && !p.getFileName().toString().equals("SHA256SUMS"))
                    .sorted().collect(Collectors.toList());
        }
    }

    private static String cli(String... args) throws Exception {
        String cli = System.getenv().getOrDefault("GDFO_CLI", TestPaths.ROOT.resolve("build/gdfo").toString());
        String[] cmd = new String[args.length + 1];
        cmd[0] = cli;
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "gdfo " + String.join(" ", args));
        return out.strip();
    }

    @TestFactory
    Stream<DynamicTest> summariesMatchCli() throws IOException {
        return logs().stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            try (EventLog log = EventLog.read(p.toString())) {
                assertEquals(cli("ingest", "--summary", p.toString()), log.summaryJson());
                Map<String, Long> m = log.summary();
                assertArrayEquals(EventLog.SUMMARY_KEYS, m.keySet().toArray(new String[0]));
                String json = log.summaryJson();
                for (Map.Entry<String, Long> e : m.entrySet()) {
                    String want = "\"" + e.getKey() + "\": " + (e.getValue() == null ? "null" : e.getValue());
                    assertTrue(json.contains(want), want + " in " + json);
                }
            }
        }));
    }

    @Test
    void modelFromALog() throws IOException {
        Path p = TestPaths.EVENTS.resolve("spark-rapids-tools/aqeshuffle_eventlog.zstd");
        assumeTrue(Files.exists(p), "shared event logs are not present");
        try (EventLog log = EventLog.read(p.toString(), "aqe")) {
            assertEquals(4L, log.summary().get("stages_completed"));
            try (Graph g = log.graph(); Telemetry t = log.telemetry(); Profile prof = log.profile()) {
                g.validate();
                assertEquals("aqe", g.name());
                assertEquals(4, g.stageCount());
                assertEquals(4, t.stageCount());
                assertEquals(4, prof.stages().size());
                try (Plan plan = Rules.optimize(g, t, null)) {
                    assertEquals("rules", plan.source());
                }
            }
        }
        try (EventLog a = EventLog.read(p.toString()); EventLog b = EventLog.fromBytes(Files.readAllBytes(p))) {
            assertEquals(a.summaryJson(), b.summaryJson());
        }
    }

    @Test
    void errors() throws IOException {
        GdfoException io = assertThrows(GdfoException.class, () -> EventLog.read("/no/such/log"));
        assertEquals(Gdfo.EIO, io.status());
        GdfoException fmt = assertThrows(GdfoException.class,
                () -> EventLog.read(TestPaths.BAD.resolve("eventlog/garbage.gz").toString()));
        assertEquals(Gdfo.EFORMAT, fmt.status());
        Path old = TestPaths.EVENTS.resolve("dr-elephant/event_log_2");
        assumeTrue(Files.exists(old), "shared event logs are not present");
        try (EventLog log = EventLog.read(old.toString())) {
            assertNull(log.summary().get("app_duration_ms"));
            assertEquals(Gdfo.ENOTFOUND, assertThrows(GdfoException.class, () -> log.graph().close()).status());
        }
    }
}

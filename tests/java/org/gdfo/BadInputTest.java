package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The malformed-input corpus (tests/bad) through the Java binding: every file
 * is refused with a GdfoException carrying a negative status and a one-line
 * message, from the file and from the bytes; never a JVM crash. Files listed
 * in tests/bad/KNOWN_ISSUES are skipped.
 */
class BadInputTest {
    private static void refused(GdfoException e) {
        assertTrue(e.status() < 0);
        assertNotEquals("GDFO_UNKNOWN", e.statusName());
        String m = e.getMessage();
        assertFalse(m.isEmpty() || m.contains("\n") || m.equals("no error"), m);
        assertTrue(m.length() < 1024);
    }

    private static List<Path> files(String sub) throws IOException {
        Map<String, String> known = TestPaths.knownIssues();
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(TestPaths.BAD.resolve(sub))) {
            s.sorted().forEach(p -> {
                if (!known.containsKey(sub + "/" + p.getFileName())) {
                    out.add(p);
                }
            });
        }
        return out;
    }

    private static Stream<DynamicTest> cases(String sub, Function<String, AutoCloseable> load,
            Function<String, AutoCloseable> parse) throws IOException {
        return files(sub).stream().map(p -> DynamicTest.dynamicTest(sub + "/" + p.getFileName(), () -> {
            refused(assertThrows(GdfoException.class, () -> load.apply(p.toString()).close()));
            // The same bytes as a Java string. A file whose fault is invalid UTF-8
            // decodes to a valid document (the bad byte becomes U+FFFD), so only
            // files that survive decoding unchanged must be refused this way too.
            byte[] bytes = Files.readAllBytes(p);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes)) {
                refused(assertThrows(GdfoException.class, () -> parse.apply(text).close()));
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> pipelines() throws IOException {
        return cases("pipeline", Graph::load, Graph::fromJson);
    }

    @TestFactory
    Stream<DynamicTest> telemetry() throws IOException {
        return cases("telemetry", Telemetry::load, Telemetry::fromJson);
    }

    @TestFactory
    Stream<DynamicTest> plans() throws IOException {
        return cases("plan", Plan::load, Plan::fromJson);
    }

    @TestFactory
    Stream<DynamicTest> profiles() throws IOException {
        return cases("profile", Profile::load, Profile::fromJson);
    }

    /** No completed stage: reading may fail (corrupt compression); building a graph or profile must. */
    @TestFactory
    Stream<DynamicTest> eventlogs() throws IOException {
        return files("eventlog").stream().map(p -> DynamicTest.dynamicTest("eventlog/" + p.getFileName(), () -> {
            for (int mode = 0; mode < 2; mode++) {
                EventLog log;
                try {
                    log = mode == 0 ? EventLog.read(p.toString()) : EventLog.fromBytes(Files.readAllBytes(p));
                } catch (GdfoException e) {
                    refused(e);
                    continue;
                }
                try (EventLog l = log) {
                    assertEquals(0L, l.summary().get("stages_completed"));
                    GdfoException g = assertThrows(GdfoException.class, () -> l.graph().close());
                    refused(g);
                    assertEquals(Gdfo.ENOTFOUND, g.status());
                    refused(assertThrows(GdfoException.class, () -> l.profile().close()));
                }
            }
        }));
    }
}

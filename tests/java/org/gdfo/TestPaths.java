package org.gdfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Where the tests find their inputs: paths relative to the project root (make runs from there). */
final class TestPaths {
    static final Path ROOT = Path.of(System.getProperty("gdfo.root", ".")).toAbsolutePath().normalize();
    static final Path BAD = ROOT.resolve("tests/bad");
    static final String RETAIL = ROOT.resolve("examples/pipelines/retail_etl.json").toString();
    static final Path EVENTS = (System.getenv("GDFO_SHARED_DATA") != null
            ? Path.of(System.getenv("GDFO_SHARED_DATA")) : ROOT.resolveSibling("shared/data")).resolve("spark-events");

    private TestPaths() {
    }

    static String read(String path) throws IOException {
        return Files.readString(Path.of(path), StandardCharsets.UTF_8);
    }

    /** "dir/file" -> reason, from tests/bad/KNOWN_ISSUES. */
    static Map<String, String> knownIssues() throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(BAD.resolve("KNOWN_ISSUES"), StandardCharsets.UTF_8)) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            out.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
        return out;
    }
}

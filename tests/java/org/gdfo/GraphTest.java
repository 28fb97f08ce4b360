package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphTest {
    @Test
    void versionMatchesHeader() throws Exception {
        String h = TestPaths.read(TestPaths.ROOT.resolve("include/gdfo/version.h").toString());
        String major = h.split("#define GDFO_VERSION_MAJOR ")[1].split("\\s")[0];
        String minor = h.split("#define GDFO_VERSION_MINOR ")[1].split("\\s")[0];
        assertEquals(Integer.parseInt(major), Gdfo.version()[0]);
        assertEquals(Integer.parseInt(minor), Gdfo.version()[1]);
        assertTrue(Gdfo.versionString().startsWith(major + "." + minor + "."));
        assertEquals("GDFO_ECYCLE", Gdfo.statusName(Gdfo.ECYCLE));
        assertEquals("GDFO_UNKNOWN", Gdfo.statusName(4242));
    }

    @Test
    void retailGraph() throws Exception {
        try (Graph g = Graph.load(TestPaths.RETAIL)) {
            assertEquals("retail_etl", g.name());
            assertEquals(12, g.stageCount());
            g.validate();
            List<Stage> stages = g.stages();
            Map<Long, Stage> byId = new HashMap<>();
            stages.forEach(s -> byId.put(s.id(), s));
            Stage join = byId.get(5L);
            assertEquals("join_customers", join.name());
            assertEquals("join", join.op());
            assertEquals("inner", join.joinType());
            assertEquals("sort_merge", join.joinStrategy());
            assertEquals(List.of(4L, 1L), join.parents());
            assertEquals(List.of(6L), join.children());
            assertEquals(List.of("customer_id"), join.columnsRead());
            assertEquals(50500000.0, join.rowsIn());
            assertEquals(200, join.partitions());
            assertNull(byId.get(0L).joinType());
            assertEquals(7, byId.get(0L).columnsWritten().size());
            long[] order = g.topoOrder();
            Map<Long, Integer> pos = new HashMap<>();
            for (int i = 0; i < order.length; i++) {
                pos.put(order[i], i);
            }
            for (Stage s : stages) {
                for (long p : s.parents()) {
                    assertTrue(pos.get(p) < pos.get(s.id()));
                }
            }
            assertEquals(new GraphKnobs(8, 4, 8589934592L), g.knobs());
            assertEquals(8, g.knobs().executors());
            assertEquals(32, g.cluster().executorsAvailable());
        }
    }

    @Test
    void jsonRoundTripAndFingerprint(@TempDir Path tmp) throws Exception {
        String text = TestPaths.read(TestPaths.RETAIL);
        try (Graph g = Graph.fromJson(text)) {
            String json = g.toJson();
            try (Graph g2 = Graph.fromJson(json); Graph g3 = g.copy()) {
                assertEquals(json, g2.toJson());
                assertEquals(g.fingerprint(), g2.fingerprint());
                assertEquals(g.fingerprint(), g3.fingerprint());
            }
            String path = tmp.resolve("copy.json").toString();
            g.save(path);
            try (Graph g4 = Graph.load(path)) {
                assertEquals(json, g4.toJson());
            }
            // Statistics drift keeps the fingerprint; a renamed stage changes it.
            try (Graph drift = Graph.fromJson(text.replace("\"rows_in\": 50000000", "\"rows_in\": 70000000"));
                    Graph renamed = Graph.fromJson(text.replace("\"dedup_orders\"", "\"dedup\""))) {
                assertEquals(g.fingerprint(), drift.fingerprint());
                assertNotEquals(g.fingerprint(), renamed.fingerprint());
            }
        }
    }

    @Test
    void errorsCarryStatusAndMessage() {
        GdfoException e = assertThrows(GdfoException.class,
                () -> Graph.fromJson("{\"format\": \"gdfo-pipeline/1\", \"stages\": [}"));
        assertEquals(Gdfo.EFORMAT, e.status());
        assertEquals("GDFO_EFORMAT", e.statusName());
        assertEquals(Gdfo.lastError(), e.getMessage());
        assertTrue(e.getMessage().contains("line 1"));
        assertTrue(e.toString().contains("GDFO_EFORMAT"));
        GdfoException io = assertThrows(GdfoException.class, () -> Graph.load("/no/such/pipeline.json"));
        assertEquals(Gdfo.EIO, io.status());
        assertTrue(io.getMessage().contains("/no/such/pipeline.json"));
        GdfoException nul = assertThrows(GdfoException.class, () -> Graph.load("bad\0path"));
        assertEquals(Gdfo.EINVAL, nul.status());
        assertThrows(NullPointerException.class, () -> Graph.fromJson(null));
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        Graph g = Graph.load(TestPaths.RETAIL);
        g.close();
        g.close();
        assertTrue(g.isClosed());
        assertEquals("Graph(closed)", g.toString());
        GdfoException e = assertThrows(GdfoException.class, g::toJson);
        assertEquals(Gdfo.EINVAL, e.status());
        assertTrue(e.getMessage().contains("closed"));
    }
}

package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesTest {
    @Test
    void optimizeRetail(@TempDir Path tmp) {
        try (Graph g = Graph.load(TestPaths.RETAIL)) {
            String before = g.toJson();
            try (Plan plan = Rules.optimize(g)) {
                assertEquals("rules", plan.source());
                assertTrue(Set.of("low", "medium", "high").contains(plan.risk()));
                List<Plan.Change> changes = plan.changes();
                assertFalse(changes.isEmpty());
                Set<String> kinds = changes.stream().map(Plan.Change::kind).collect(Collectors.toSet());
                assertTrue(kinds.contains("push_filter"), kinds.toString());
                assertTrue(kinds.contains("partitions"), kinds.toString());
                String explain = plan.explain();
                for (Plan.Change c : changes) {
                    assertFalse(c.what().isEmpty());
                    assertFalse(c.why().isEmpty());
                    assertTrue(c.confidence() >= 0 && c.confidence() <= 1);
                    assertTrue(explain.contains(c.what()));
                }
                assertEquals(-1.0, plan.prediction().latencyMs());
                try (Graph pg = plan.graph()) {
                    pg.validate();
                    assertTrue(pg.stageCount() <= g.stageCount());
                    assertTrue(pg.stages().stream().anyMatch(s -> "broadcast".equals(s.joinStrategy())));
                }
                String json = plan.toJson();
                try (Plan p2 = Plan.fromJson(json)) {
                    assertEquals(json, p2.toJson());
                }
                String path = tmp.resolve("plan.json").toString();
                plan.save(path);
                try (Plan p3 = Plan.load(path)) {
                    assertEquals(changes.size(), p3.changes().size());
                }
            }
            assertEquals(before, g.toJson(), "the input graph is not modified");
        }
    }

    private static Stage stage(Graph g, long id) {
        return g.stages().stream().filter(s -> s.id() == id).findFirst().orElseThrow();
    }

    @Test
    void changesSayWhatTheySet() {
        try (Graph g = Graph.load(TestPaths.RETAIL); Plan plan = Rules.optimize(g); Graph pg = plan.graph()) {
            List<Plan.Change> changes = plan.changes();
            assertTrue(changes.stream().allMatch(c -> c.field() != null));
            // products (8 MB) is broadcast: join_products from the example's sort_merge to broadcast
            Plan.Change j = changes.stream().filter(c -> c.kind().equals("join_strategy")).findFirst().orElseThrow();
            assertEquals("join_strategy", j.field());
            assertEquals(3.0, j.oldValue()); // GDFO_JOIN_SORT_MERGE
            assertEquals(1.0, j.newValue()); // GDFO_JOIN_BROADCAST
            assertEquals("sort_merge", j.oldLabel());
            assertEquals("broadcast", j.newLabel());
            // partition counts from the input's to the plan's
            List<Plan.Change> parts = changes.stream().filter(c -> c.kind().equals("partitions")).toList();
            assertFalse(parts.isEmpty());
            for (Plan.Change c : parts) {
                long id = c.stageIds()[0];
                assertEquals("partitions", c.field());
                assertEquals(stage(g, id).partitions(), (int) c.oldValue());
                assertEquals(stage(pg, id).partitions(), (int) c.newValue());
                assertEquals(Integer.toString((int) c.newValue()), c.newLabel());
            }
            Plan.Change f = changes.stream().filter(c -> c.kind().equals("fuse")).findFirst().orElseThrow();
            assertEquals(2.0, f.oldValue());
            assertEquals(1.0, f.newValue());
            assertEquals(null, f.oldLabel());
            // a plan written without values (by 0.2) reads with none
            String old = plan.toJson().replaceAll("(?m)^\\s*\"(field|old|new|old_label|new_label)\":.*\\n", "")
                    .replaceAll("\\],(\\s*)\\}", "]$1}");
            try (Plan p0 = Plan.fromJson(old)) {
                Plan.Change c0 = p0.changes().get(0);
                assertEquals(changes.get(0).what(), c0.what());
                assertEquals(null, c0.field());
                assertTrue(Double.isNaN(c0.oldValue()) && Double.isNaN(c0.newValue()));
                assertEquals(null, c0.newLabel());
            }
        }
    }

    @Test
    void options() {
        Rules.Options defaults = new Rules.Options();
        assertEquals(0L, defaults.broadcastMaxBytes()); // the pipeline's threshold, else 10 MiB
        assertEquals(128L << 20, defaults.targetPartitionBytes());
        try (Graph g = Graph.load(TestPaths.RETAIL)) {
            Rules.Options o = new Rules.Options().broadcastJoins(false).pushFilters(false).fuseNarrow(false);
            try (Plan plan = Rules.optimize(g, null, o); Graph pg = plan.graph()) {
                Set<String> kinds = plan.changes().stream().map(Plan.Change::kind).collect(Collectors.toSet());
                assertFalse(kinds.contains("push_filter"));
                assertFalse(kinds.contains("fuse"));
                assertTrue(pg.stages().stream().noneMatch(s -> "broadcast".equals(s.joinStrategy())));
            }
            GdfoException e = assertThrows(GdfoException.class,
                    () -> Rules.optimize(g, null, new Rules.Options().targetPartitionBytes(5)));
            assertEquals(Gdfo.EINVAL, e.status());
            assertTrue(e.getMessage().contains("target_partition_bytes"), e.getMessage());
            assertThrows(NullPointerException.class, () -> Rules.optimize(null));
        }
    }

    @Test
    void telemetryAndProfile() throws Exception {
        try (Telemetry t = Telemetry.load(TestPaths.BAD.resolve("good/telemetry.json").toString())) {
            assertEquals(1, t.stageCount());
            Telemetry.StageRecord s = t.stages().get(0);
            assertEquals(500.0, s.durationMs());
            assertEquals(Telemetry.UNKNOWN, s.cpuMs());
            assertTrue(t.run().success());
            String json = t.toJson();
            try (Telemetry t2 = Telemetry.fromJson(json)) {
                assertEquals(json, t2.toJson());
            }
        }
        try (Telemetry t = new Telemetry(); Graph g = Graph.load(TestPaths.RETAIL)) {
            t.setRun(new Telemetry.Run(false, 10.0, Telemetry.UNKNOWN, Telemetry.UNKNOWN, 0.5));
            t.setStage(Telemetry.StageRecord.ofDuration(3, 60000));
            assertFalse(t.run().success());
            assertEquals(0.5, t.run().cost());
            GdfoException bad = assertThrows(GdfoException.class,
                    () -> t.setStage(Telemetry.StageRecord.ofDuration(4, Double.NaN)));
            assertEquals(Gdfo.EINVAL, bad.status());
            try (Plan plan = Rules.optimize(g, t, null)) {
                assertFalse(plan.changes().isEmpty());
            }
        }
        try (Profile p = Profile.load(TestPaths.BAD.resolve("good/profile.json").toString())) {
            assertEquals(8, p.shape()[0]);
            assertEquals(4, p.shape()[1]);
            List<Profile.StageRecord> st = p.stages();
            assertEquals(2, st.size());
            assertEquals(3, st.get(0).taskMs().length);
            assertEquals(0L, st.get(1).parents()[0]);
            try (Profile p2 = Profile.fromJson(p.toJson())) {
                assertEquals(p.toJson(), p2.toJson());
            }
        }
    }
}

package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Building pipelines, the options objects, and what a new user meets first. */
class BuildTest {
    private static Graph etl() {
        Graph g = Graph.create("etl");
        g.addStage(new StageSpec(1, "orders", "source").rowsIn(1e6).bytesIn(1e8)
                .columnsWritten("id", "customer", "amount"));
        g.addStage(new StageSpec(2, "customers", "source").rowsIn(1e4).bytesIn(1e6)
                .columnsWritten("customer", "region"));
        g.addStage(new StageSpec(3, "joined", "join").joinType("left").joinStrategy("sort_merge")
                .keyCardinality(1e4).columnsRead("customer"));
        g.addStage(new StageSpec(4, "big", "filter").selectivity(0.1).columnsRead("amount"));
        g.addStage(new StageSpec(5, "out", "sink").partitions(16).cache("memory").priority(3)
                .targetFileBytes(128L << 20).compactionEvery(10).fusedOps("project", "filter"));
        g.addEdge(1, 3);
        g.addEdge(2, 3);
        g.addEdge(3, 4);
        g.addEdge(4, 5);
        return g;
    }

    @Test
    void everyStatisticAndKnobByNameFromTheFieldTables() {
        try (Graph g = Graph.create("by-name")) {
            g.addStage(new StageSpec(1, "src", "source").set("rows_in", 2e6).set("skew", 3)
                    .set("partitions", 40).set("cache", "disk"));
            Stage s = g.stages().get(0);
            assertEquals(2e6, s.field("rows_in"));
            assertEquals(3.0, s.field("skew"));
            assertEquals(40L, s.field("partitions"));
            assertEquals("disk", s.field("cache"));
            assertEquals("auto", s.field("join_strategy"));
            assertEquals(40, s.partitions(), "the named accessors see the same values");
            assertNull(s.field("no_such_field"));
            GdfoException e = assertThrows(GdfoException.class,
                    () -> new StageSpec(2, "x", "filter").set("no_such_field", 1));
            assertTrue(e.getMessage().contains("'no_such_field' is not a stage statistic or knob"), e.getMessage());
            assertThrows(GdfoException.class, () -> new StageSpec(2, "x", "filter").set("partitions", 1.5));
            assertThrows(GdfoException.class, () -> new StageSpec(2, "x", "filter").set("cache", 1));
            assertThrows(GdfoException.class, () -> new StageSpec(2, "x", "filter").set("cache", "attic"));
        }
    }

    @Test
    void buildAPipelineField_by_field() {
        try (Graph g = etl()) {
            g.validate();
            assertEquals("etl", g.name());
            assertEquals(5, g.stageCount());
            List<Stage> stages = g.stages();
            Stage join = stages.get(2);
            assertEquals("join", join.op());
            assertEquals("left", join.joinType());
            assertEquals("sort_merge", join.joinStrategy());
            assertEquals(1e4, join.keyCardinality());
            assertEquals(List.of(1L, 2L), join.parents(), "a join's first parent is its left side");
            Stage out = stages.get(4);
            assertEquals(16, out.partitions());
            assertEquals("memory", out.cache());
            assertEquals(3, out.priority());
            assertEquals(128L << 20, out.targetFileBytes());
            assertEquals(10, out.compactionEvery());
            assertEquals(List.of("filter", "project"), out.fusedOps());
            Stage orders = stages.get(0);
            assertEquals(List.of("id", "customer", "amount"), orders.columnsWritten());
            assertEquals(1.0, orders.selectivity(), "defaults come from gdfo_stage_init");
            assertEquals(1.0, orders.skew());
            assertNull(orders.joinType());
            try (Plan plan = Rules.optimize(g)) {
                assertEquals("rules", plan.source());
            }
        }
    }

    @Test
    void theSameGraphAsJson() {
        String json = "{\"format\": \"gdfo-pipeline/1\", \"name\": \"p\", \"stages\": ["
                + "{\"id\": 1, \"name\": \"a\", \"op\": \"source\", \"stats\": {\"rows_in\": 10, \"bytes_in\": 100}},"
                + "{\"id\": 2, \"name\": \"b\", \"op\": \"sink\", \"parents\": [1]}]}";
        try (Graph fromJson = Graph.fromJson(json); Graph built = Graph.create("p")) {
            built.addStage(new StageSpec(1, "a", "source").rowsIn(10).bytesIn(100));
            built.addStage(new StageSpec(2, "b", "sink"));
            built.addEdge(1, 2);
            assertEquals(fromJson.toJson(), built.toJson());
        }
    }

    @Test
    void buildErrorsNameTheFault() {
        try (Graph g = Graph.create(null)) {
            assertEquals("pipeline", g.name());
            GdfoException e = assertThrows(GdfoException.class, () -> new StageSpec(1, "a", "scan"));
            assertEquals(Gdfo.EINVAL, e.status());
            assertEquals("op 'scan' is not one of source, filter, project, join, aggregate, sort, window, "
                    + "union, udf, sink", e.getMessage());
            e = assertThrows(GdfoException.class, () -> new StageSpec(1, "a", "join").joinStrategy("hash"));
            assertTrue(e.getMessage().startsWith("joinStrategy 'hash' is not one of auto, broadcast"), e.getMessage());
            e = assertThrows(GdfoException.class, () -> g.addStage(new StageSpec(1, "a", "source").selectivity(-1)));
            assertEquals(Gdfo.EINVAL, e.status());
            assertTrue(e.getMessage().contains("selectivity"), e.getMessage());
            assertEquals(0, g.stageCount(), "on failure the graph is unchanged");
            g.addStage(new StageSpec(1, "a", "source"));
            assertEquals(Gdfo.EEXISTS, assertThrows(GdfoException.class,
                    () -> g.addStage(new StageSpec(1, "again", "source"))).status());
            assertEquals(Gdfo.ENOTFOUND, assertThrows(GdfoException.class, () -> g.addEdge(1, 9)).status());
            g.addStage(new StageSpec(2, "b", "filter"));
            g.addEdge(1, 2);
            assertEquals(Gdfo.ECYCLE, assertThrows(GdfoException.class, () -> g.addEdge(2, 1)).status());
            g.updateStage(new StageSpec(2, "b2", "filter").selectivity(0.5));
            assertEquals("b2", g.stages().get(1).name());
            assertEquals(List.of(1L), g.stages().get(1).parents(), "update keeps the edges");
            assertThrows(NullPointerException.class, () -> g.addStage(null));
            assertThrows(NullPointerException.class, () -> new StageSpec(3, null, "source"));
            StageSpec closed = new StageSpec(3, "c", "source");
            closed.close();
            closed.close();
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class, () -> g.addStage(closed)).status());
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class, () -> closed.rowsIn(1)).status());
        }
    }

    @Test
    void knobsAndClusterAreObjects() {
        try (Graph g = Graph.load(TestPaths.RETAIL)) {
            GraphKnobs k = g.knobs();
            assertEquals(8, k.executors());
            assertEquals(4, k.coresPerExecutor());
            assertEquals(8589934592L, k.memoryPerExecutorBytes());
            g.setKnobs(new GraphKnobs(16, 2, 4L << 30));
            assertEquals(new GraphKnobs(16, 2, 4L << 30), g.knobs());
            Cluster c = g.cluster();
            assertEquals(32, c.executorsAvailable());
            assertEquals(0.000134, c.pricePerExecutorSecond());
            assertEquals(900000.0, c.sloMs());
            g.setCluster(new Cluster(64, 0.5, 1000));
            assertEquals(new Cluster(64, 0.5, 1000), g.cluster());
            GdfoException e = assertThrows(GdfoException.class, () -> g.setKnobs(new GraphKnobs(-1, 2, 0)));
            assertEquals(Gdfo.EINVAL, e.status());
            assertTrue(e.getMessage().contains("executors"), e.getMessage());
            assertEquals(new GraphKnobs(16, 2, 4L << 30), g.knobs(), "a refused setting changes nothing");
        }
    }

    @Test
    void graphAndPlanIterate() {
        try (Graph g = Graph.load(TestPaths.RETAIL); Plan plan = Rules.optimize(g)) {
            List<Long> ids = new ArrayList<>();
            for (Stage s : g) {
                ids.add(s.id());
            }
            assertEquals(12, ids.size());
            int n = 0;
            for (Plan.Change c : plan) {
                assertFalse(c.kind().isEmpty());
                n++;
            }
            assertEquals(plan.changeCount(), n);
            assertTrue(n > 0);
        }
    }

    @Test
    void optionsAreANativeStructWithNamedFields() {
        try (Rules.Options o = new Rules.Options()) {
            assertTrue(o.pushFilters());
            assertFalse(o.reorderJoins());
            assertEquals(0L, o.broadcastMaxBytes());
            assertEquals(-1L, o.cacheBudgetBytes());
            assertEquals(0.3, o.cacheMemoryFraction());
            assertEquals(0.25, o.partitionChangeMin());
            o.reorderJoins(true).pushFilters(false).cacheMemoryFraction(0.5).minPartitionBytes(2L << 20);
            assertTrue(o.reorderJoins());
            assertFalse(o.pushFilters());
            assertEquals(0.5, o.cacheMemoryFraction());
            assertEquals(2L << 20, o.minPartitionBytes());
            try (Graph g = Graph.load(TestPaths.RETAIL); Plan p = Rules.optimize(g, null, o)) {
                assertTrue(p.changes().stream().noneMatch(c -> c.kind().equals("push_filter")));
            }
        }
        Rules.Options closed = new Rules.Options();
        closed.close();
        closed.close();
        try (Graph g = Graph.load(TestPaths.RETAIL)) {
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class, () -> Rules.optimize(g, null, closed)).status());
        }
    }

    @Test
    void telemetryRecordsCrossByName() {
        try (Telemetry t = new Telemetry()) {
            t.setStage(new Telemetry.StageRecord(7, 1.5, 2, 3, 4, 5, 6, 7, 8, 9, 0));
            assertEquals(new Telemetry.StageRecord(7, 1.5, 2, 3, 4, 5, 6, 7, 8, 9, 0), t.stages().get(0));
            t.setRun(new Telemetry.Run(false, 10, 20, 2, 0.5));
            assertEquals(new Telemetry.Run(false, 10, 20, 2, 0.5), t.run());
            assertThrows(NullPointerException.class, () -> t.setRun(null));
        }
    }

    // ---- loading the JNI glue in a fresh JVM ----

    private static String[] probe(Map<String, String> env, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(where(Gdfo.class) + File.pathSeparator + where(LoadProbe.class));
        cmd.add(LoadProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(Gdfo.LIBRARY_ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new String[] {String.valueOf(p.waitFor()), out, err};
    }

    /* The jar or directory a class was loaded from (the JUnit launcher's -cp is not java.class.path). */
    private static String where(Class<?> c) throws Exception {
        return new File(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
    }

    private static String glue() {
        return TestPaths.ROOT.resolve(System.getenv().getOrDefault("GDFO_BUILD", "build"))
                .resolve("libgdfo_jni.so").toString();
    }

    @Test
    void testsRunAgainstTheJar() throws Exception {
        String jar = System.getenv("GDFO_JAR");
        if (jar != null) {
            assertEquals(new File(jar).getCanonicalPath(), new File(where(Graph.class)).getCanonicalPath());
        }
    }

    @Test
    void missingLibraryPathSaysWhatToSet() throws Exception {
        String[] r = probe(Map.of(), "-Djava.library.path=/nonexistent");
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("UnsatisfiedLinkError: cannot load the libgdfo JNI glue: libgdfo_jni.so is not on "
                + "java.library.path (/nonexistent): run with -Djava.library.path=DIR where DIR holds "
                + "libgdfo_jni.so (`make jvm` builds it in build/), or set GDFO_JNI_LIBRARY or "
                + "-Dgdfo.jni.library to its path"), r[2]);
    }

    @Test
    void libraryByEnvironmentOrProperty() throws Exception {
        String[] r = probe(Map.of(Gdfo.LIBRARY_ENV, glue()), "-Djava.library.path=/nonexistent");
        assertEquals("0", r[0], r[2]);
        assertEquals("libgdfo " + Gdfo.versionString() + "\n", r[1]);
        r = probe(Map.of(), "-Djava.library.path=/nonexistent", "-Dgdfo.jni.library=" + glue());
        assertEquals("0", r[0], r[2]);
        r = probe(Map.of(Gdfo.LIBRARY_ENV, "/nonexistent/libgdfo_jni.so"));
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("cannot load the libgdfo JNI glue: GDFO_JNI_LIBRARY=/nonexistent/libgdfo_jni.so "
                + "cannot be loaded ("), r[2]);
    }
}

package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Optimizer: plans and explanations of the learned optimizer with a tiny model trained here by the CLI. */
class OptimizerTest {
    private static final String TPCH = TestPaths.ROOT.resolve("examples/pipelines/tpch_q5.json").toString();

    @TempDir
    static Path dir;
    static String model;

    /** `gdfo train` (the Java binding has no train): 160 episodes, a few seconds. */
    @BeforeAll
    static void train() throws Exception {
        String cli = System.getenv().getOrDefault("GDFO_CLI", TestPaths.ROOT.resolve("build/gdfo").toString());
        model = dir.resolve("tiny.gdfonn").toString();
        ProcessBuilder pb = new ProcessBuilder(cli, "train", "-o", model, "--warm", "128", "--ppo", "32",
                "--batch", "16", "--quiet").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        assertEquals(0, pb.start().waitFor(), "gdfo train");
        assertTrue(Files.size(Path.of(model)) > 1000);
    }

    @Test
    void plansAndExplainsWithTheModel() {
        try (Optimizer opt = new Optimizer(model); Graph g = Graph.load(TPCH)) {
            assertEquals(model, opt.model());
            for (Diagnosis.Objective objective : new Diagnosis.Objective[] {null, Diagnosis.Objective.defaults(),
                    new Diagnosis.Objective(0, 1, 0, 0, 0, 1)}) {
                try (Plan plan = opt.plan(g, null, objective)) {
                    assertTrue(List.of("learned", "rules", "input").contains(plan.source()), plan.source());
                    String explain = plan.explain();
                    assertTrue(explain.contains("learned optimizer: model " + model + ";"), explain);
                    assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("learned optimizer: model " + model)),
                            plan.notes().toString());
                    for (Plan.Change c : plan) {
                        assertTrue(c.confidence() >= 0 && c.confidence() <= 1, c.toString());
                        assertTrue(explain.contains(c.what()), c.what());
                    }
                    assertTrue(plan.prediction().latencyMs() > 0);
                }
            }
        }
    }

    @Test
    void theObjectiveReachesThePlanner() {
        try (Optimizer opt = new Optimizer(model); Graph g = Graph.load(TPCH);
             Plan lat = opt.plan(g, null, new Diagnosis.Objective(0, 1, 0, 0, 0, 1));
             Plan lat2 = opt.plan(g, null, new Diagnosis.Objective(0, 1, 0, 0, 0, 1));
             Plan cost = opt.plan(g, null, new Diagnosis.Objective(0, 0, 1, 0, 0, 1))) {
            assertEquals(lat.toJson(), lat2.toJson());
            assertNotEquals(lat.toJson(), cost.toJson());
            GdfoException e = assertThrows(GdfoException.class,
                    () -> opt.plan(g, null, new Diagnosis.Objective(0, -1, 0, 0, 0, 1)));
            assertEquals(Gdfo.EINVAL, e.status());
            assertTrue(e.getMessage().contains("latency_weight is -1"), e.getMessage());
        }
    }

    @Test
    void withoutAModelTheRulesPlan() {
        try (Optimizer opt = new Optimizer(""); Graph g = Graph.load(TestPaths.RETAIL); Plan plan = opt.plan(g);
             Plan rules = Rules.optimize(g)) {
            assertNull(opt.model());
            assertEquals("rules", plan.source());
            assertTrue(plan.notes().stream().anyMatch(n -> n.contains("no policy model is loaded")),
                    plan.notes().toString());
            assertEquals(rules.changeCount(), plan.changeCount());
        }
    }

    @Test
    void optionsReachTheLibrary() {
        try (Optimizer.Options o = new Optimizer.Options()) {
            assertEquals(8, o.candidates());
            assertTrue(o.useRules());
            assertEquals(0, o.candidates(0).seed(7).structuralSteps(2).candidates());
            assertEquals(7, o.seed());
            assertEquals(2, o.structuralSteps());
            // the input, the greedy plan and the rules plan, and the resource search's plan when it found a better one
            try (Optimizer opt = new Optimizer(model, o); Graph g = Graph.load(TPCH); Plan plan = opt.plan(g)) {
                assertTrue(plan.notes().stream().anyMatch(n -> n.contains("; 3 candidates scored")
                        || n.contains("; 4 candidates scored") && n.contains("refined")), plan.notes().toString());
            }
            o.candidates(5000);
            GdfoException e = assertThrows(GdfoException.class, () -> new Optimizer(model, o));
            assertEquals(Gdfo.EINVAL, e.status());
            assertTrue(e.getMessage().contains("candidates is 5000"), e.getMessage());
            o.candidates(8);
            e = assertThrows(GdfoException.class, () -> o.clusterJson("{\"format\": \"gdfo-cluster/1\", \"executors\": -2}"));
            assertTrue(e.getMessage().contains("executors"), e.getMessage());
            o.clusterFile(TestPaths.ROOT.resolve("examples/clusters/dataproc-8x16.json").toString());
            try (Optimizer opt = new Optimizer("", o)) {
                assertNull(opt.model());
            }
        }
    }

    @Test
    void aBadModelIsRefusedNamingIt() throws Exception {
        Path garbage = dir.resolve("garbage.gdfonn");
        Files.writeString(garbage, "not a model\n");
        GdfoException e = assertThrows(GdfoException.class, () -> new Optimizer(garbage.toString()));
        assertEquals(Gdfo.EFORMAT, e.status());
        assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());

        byte[] data = Files.readAllBytes(Path.of(model));
        data[data.length / 2] ^= (byte) 0xFF;
        Path damaged = dir.resolve("damaged.gdfonn");
        Files.write(damaged, data);
        e = assertThrows(GdfoException.class, () -> new Optimizer(damaged.toString()));
        assertEquals(Gdfo.ECHECKSUM, e.status());
        assertTrue(e.getMessage().contains(damaged.toString()), e.getMessage());

        e = assertThrows(GdfoException.class, () -> new Optimizer(dir.resolve("missing.gdfonn").toString()));
        assertEquals(Gdfo.EIO, e.status());
    }

    @Test
    void closedIsClosed() {
        Optimizer opt = new Optimizer("");
        opt.close();
        opt.close();
        assertTrue(opt.isClosed());
        try (Graph g = Graph.load(TestPaths.RETAIL)) {
            GdfoException e = assertThrows(GdfoException.class, () -> opt.plan(g));
            assertEquals("this Optimizer is closed", e.getMessage());
        }
        try (Optimizer other = new Optimizer("")) {
            assertThrows(NullPointerException.class, () -> other.plan(null));
        }
    }

    @Test
    void statusConstantsMatchTheHeader() throws Exception {
        String header = Files.readString(TestPaths.ROOT.resolve("include/gdfo/common.h"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\bGDFO_(E[A-Z]+)\\s*=\\s*(-\\d+)").matcher(header);
        int n = 0;
        while (m.find()) {
            assertEquals(Integer.parseInt(m.group(2)), Gdfo.class.getField(m.group(1)).getInt(null), m.group(1));
            assertEquals("GDFO_" + m.group(1), Gdfo.statusName(Integer.parseInt(m.group(2))));
            n++;
        }
        assertTrue(n >= 14);
        assertEquals("GDFO_ECANCELED", Gdfo.statusName(Gdfo.ECANCELED));
        assertFalse(Gdfo.statusName(-16).equals("GDFO_ECANCELED"));
    }
}

package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Simulator: a pipeline, a plan and a profile simulated from Java, calibration, predictions; figures as the CLI's. */
class SimulatorTest {
    private static final String AQE = TestPaths.EVENTS.resolve("spark-rapids-tools/aqeshuffle_eventlog").toString();

    private static String cli(String... args) throws Exception {
        String cli = System.getenv().getOrDefault("GDFO_CLI", TestPaths.ROOT.resolve("build/gdfo").toString());
        String[] cmd = new String[args.length + 1];
        cmd[0] = cli;
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "gdfo " + String.join(" ", args));
        return out;
    }

    /** The first number after "key": in a JSON text (the CLI prints 10 significant digits). */
    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*([-0-9.eE+]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    private static void close(double want, double got) {
        assertEquals(want, got, Math.abs(want) * 1e-9);
    }

    @Test
    void pipelineAndPlanMatchCli() throws Exception {
        String sim = cli("simulate", "--pipeline", TestPaths.RETAIL);
        String opt = cli("optimize", "--rules", TestPaths.RETAIL);
        try (Simulator s = new Simulator(); Graph g = Graph.load(TestPaths.RETAIL)) {
            Simulator.Result r = s.run(g, null);
            assertTrue(r.success());
            assertEquals(-1L, r.failedStageId());
            close(number(sim, "makespan_ms"), r.makespanMs());
            close(number(sim, "cost"), r.cost());
            assertEquals(g.stageCount(), r.stages().size());
            assertEquals(0L, r.stages().get(0).id());
            assertTrue(r.stages().stream().anyMatch(st -> "broadcast".equals(st.joinStrategy())
                    || "sort_merge".equals(st.joinStrategy())));
            close(r.makespanMs(), number(s.resultJson(), "makespan_ms"));
            try (Plan plan = Rules.optimize(g)) {
                Plan.Prediction p = s.predict(plan, g, null);
                close(number(opt, "latency_ms"), p.latencyMs());
                close(number(opt, "baseline_latency_ms"), p.baselineLatencyMs());
                assertEquals(0, p.calibrated());
                assertEquals(p, plan.prediction());
                assertEquals(p.latencyMs(), s.run(plan, null).makespanMs());
            }
        }
    }

    @Test
    void optionsAndErrors() {
        try (Simulator s = Simulator.withClusterFile(TestPaths.ROOT.resolve("examples/clusters/dataproc-8x16.json").toString());
                Graph g = Graph.load(TestPaths.RETAIL);
                Simulator.Options o = new Simulator.Options()) {
            assertEquals("des", o.mode());
            assertEquals(1, o.runs());
            double des = s.run(g, o).makespanMs();
            o.mode("analytic");
            assertNotEquals(des, s.run(g, o).makespanMs());
            o.mode("expected");
            assertEquals("expected", o.mode());
            assertEquals(des, s.run(g, o).makespanMs(), des * 0.02); // without noise, the DES's schedule
            o.mode("analytic");
            Simulator.Result noisy = s.run(g, new Simulator.Options().noiseSigma(0.2).runs(3).seed(7));
            assertEquals(3, noisy.runs());
            assertThrows(IllegalArgumentException.class, () -> o.mode("fluid"));
            GdfoException e = assertThrows(GdfoException.class, () -> s.run(g, new Simulator.Options().noiseSigma(9)));
            assertEquals(Gdfo.EINVAL, e.status());
            s.close();
            s.close();
            assertThrows(GdfoException.class, () -> s.run(g, null));
        }
        GdfoException e = assertThrows(GdfoException.class, () -> Simulator.withClusterJson(
                "{\"format\": \"gdfo-cluster/1\", \"executors\": 0}"));
        assertTrue(e.getMessage().contains("executors"), e.getMessage());
        try (Simulator s = Simulator.withClusterJson("{\"format\": \"gdfo-cluster/1\", \"executors\": 3}");
                Graph g = Graph.load(TestPaths.RETAIL)) {
            assertTrue(s.run(g, null).success());
        }
    }

    @Test
    void applicationSettingsAsGraphKnobs() throws Exception {
        String q72 = TestPaths.EVENTS.resolve("spark-rapids-tools/nds_q72_dataproc_2_2.zstd").toString();
        assumeTrue(Files.exists(java.nio.file.Path.of(q72)), "shared event logs not present");
        try (EventLog log = EventLog.read(q72); Graph g = log.graph()) {
            assertEquals(128L, g.knob("shuffle_partitions"));
            assertEquals(200L << 20, g.knob("broadcast_threshold_bytes"));
            assertEquals("on", g.knob("adaptive"));
            assertEquals("off", g.knob("dynamic_allocation"));
            assertEquals("on", g.knob("shuffle_reuse"));
            assertEquals(8L, g.knob("executors"));
            g.setKnob("shuffle_partitions", 64);
            g.setKnob("adaptive", "off");
            assertEquals(64L, g.knob("shuffle_partitions"));
            assertEquals("off", g.knob("adaptive"));
            assertEquals(8, g.knobs().executors()); /* the record's fields keep their values */
            g.setKnobs(new GraphKnobs(4, 16, 40L << 30));
            assertEquals(64L, g.knob("shuffle_partitions")); /* and the settings keep theirs */
            assertThrows(GdfoException.class, () -> g.knob("shuffle_partitons"));
            assertThrows(GdfoException.class, () -> g.setKnob("adaptive", "maybe"));
            assertThrows(GdfoException.class, () -> g.setKnob("shuffle_partitions", -5));
            assertThrows(GdfoException.class, () -> g.setKnob("shuffle_partitions", 1.5));
        }
    }

    @Test
    void profileAndCalibration() throws Exception {
        assumeTrue(Files.exists(java.nio.file.Path.of(AQE)), "shared event logs not present");
        try (EventLog log = EventLog.read(AQE); Profile prof = log.profile(); Graph g = log.graph();
                Telemetry t = log.telemetry(); Simulator s = new Simulator()) {
            Simulator.Result r = s.run(prof, null);
            assertEquals(4, r.stages().size());
            assertEquals(4037.0, r.makespanMs(), 1.0); /* the replay of its measured tasks, docs/simulator.md */

            assertFalse(s.calibration().active());
            Simulator.Calibration c = s.calibrate(g, t, null);
            assertTrue(c.active() && c.overheadFitted());
            assertEquals(4, c.stagesCalibrated());
            assertEquals(17896.0, c.measuredLatencyMs());
            assertEquals(c, s.calibration());
            assertTrue(s.calibrationJson().contains("\"stage_factors\""));
            try (Plan plan = Rules.optimize(g, t, null)) {
                Plan.Prediction p = s.predict(plan, g, null);
                assertEquals(1, p.calibrated());
                assertEquals(17896.0, p.baselineLatencyMs(), 1e-6);
                assertEquals(4, p.baselineStagesCalibrated());
            }
            assertEquals(4, s.run(g, null).stagesCalibrated());
            assertFalse(s.calibrate(g, null, null).active());
        }
    }
}

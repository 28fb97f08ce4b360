package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed loop (include/gdfo/loop.h) through Optimizer.open: plan ids, feedback of
 * simulated runs (task noise 0.1, stragglers 0.01, a seed per run), a forced regression
 * that rolls back, approvals, stats across a reopen and the audit log. The optimizer
 * plans with the rules ("" model) so the loop needs no model file; nothing is mocked
 * (lib/loop/state.c: a candidate better on 2 runs becomes known-good, a run worse than
 * the known-good runs by more than the rollback margin makes the next step "rollback").
 */
class LoopTest {
    private static final Pattern ID = Pattern.compile("^([0-9a-f]{16})-([1-9][0-9]*)$");

    @TempDir
    Path dir;

    private static Telemetry simulatedRun(Plan plan, long seed) {
        try (Simulator sim = new Simulator(); Simulator.Options o = new Simulator.Options()) {
            o.noiseSigma(0.1).stragglerProb(0.01).seed(seed);
            sim.run(plan, o);
            return sim.telemetry(plan);
        }
    }

    private static int count(String json, String key, String value) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*\"" + Pattern.quote(value) + "\"").matcher(json);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void loopWithFeedbackRollbackAndApproval() {
        String state = dir.resolve("state").toString();
        List<String> ids = new ArrayList<>();
        List<String> approved = new ArrayList<>();
        List<Double> knownGoodLatency = new ArrayList<>();
        boolean sawKnownGood = false;
        int forced = -1;
        String nextStepAfterForced = null;
        String fingerprint = null;
        Optimizer.Stats stats;
        try (Optimizer opt = Optimizer.open(state, "", null); Graph g = Graph.load(TestPaths.RETAIL)) {
            assertEquals(state, opt.stateDir());
            for (int k = 0; k < 10; k++) {
                try (Plan plan = opt.plan(g)) {
                    String id = plan.id();
                    assertNotNull(id);
                    Matcher m = ID.matcher(id);
                    assertTrue(m.matches(), id);
                    Plan.Loop info = plan.loop();
                    assertEquals(m.group(1), info.fingerprint());
                    assertEquals(k, info.runs());
                    assertEquals(info.step(), plan.loopStep());
                    assertEquals(info.events(), plan.loopEvents());
                    assertEquals(info.step().equals("explore"), plan.loopEvents().contains("explore"));
                    fingerprint = info.fingerprint();
                    ids.add(id);
                    if (k == forced + 1 && forced >= 0) {
                        nextStepAfterForced = plan.loopStep();
                    }
                    if (plan.needsApproval()) {
                        assertTrue(plan.loopEvents().contains("approval"));
                        opt.approve(id, "ops@example.com", "run " + k + " reviewed");
                        approved.add(id);
                    }
                    Telemetry tel = simulatedRun(plan, 1000 + k);
                    if (forced < 0 && plan.loopStep().equals("explore") && !knownGoodLatency.isEmpty()) {
                        // a regression: three times the known-good runs' latency
                        Telemetry.Run r = tel.run();
                        double worst = knownGoodLatency.stream().mapToDouble(Double::doubleValue).max().getAsDouble();
                        tel.close();
                        tel = new Telemetry();
                        tel.setRun(new Telemetry.Run(true, 3 * worst, r.records(), Telemetry.UNKNOWN, r.cost()));
                        forced = k;
                    }
                    try (Telemetry t = tel) {
                        Optimizer.Feedback fb = opt.feedback(id, t);
                        assertEquals(k + 1, fb.runs());
                        assertTrue(fb.baselineLatencyMs() > 0);
                        if (fb.knownGood()) {
                            knownGoodLatency.add(t.run().latencyMs());
                        }
                        sawKnownGood |= fb.events().contains("known_good");
                        if (k == forced) {
                            assertTrue(fb.events().contains("rollback"), fb.events().toString());
                            assertFalse(fb.events().contains("drift"), fb.events().toString());
                            assertTrue(fb.baselineMeasured());
                            assertTrue(fb.reward() < -0.05, "reward " + fb.reward());
                            assertFalse(fb.knownGood());
                        }
                        // each plan takes one feedback
                        GdfoException again = assertThrows(GdfoException.class, () -> opt.feedback(id, t));
                        assertEquals(Gdfo.EEXISTS, again.status());
                    }
                }
            }
            assertTrue(sawKnownGood, "no plan became known-good in 10 runs");
            assertTrue(forced >= 0, "no exploration after a known-good plan in 10 runs");
            assertEquals("rollback", nextStepAfterForced);
            assertTrue(!approved.isEmpty(), "no plan needed approval in 10 runs");

            try (Telemetry t = new Telemetry()) {
                t.setRun(new Telemetry.Run(true, 1000, -1, -1, -1));
                String unknown = fingerprint + "-999";
                GdfoException e = assertThrows(GdfoException.class, () -> opt.feedback(unknown, t));
                assertEquals(Gdfo.ENOTFOUND, e.status());
                e = assertThrows(GdfoException.class, () -> opt.feedback("not-an-id", t));
                assertEquals(Gdfo.EINVAL, e.status());
            }
            GdfoException busy = assertThrows(GdfoException.class, () -> Optimizer.open(state, "", null));
            assertEquals(Gdfo.EIO, busy.status());
            GdfoException twice = assertThrows(GdfoException.class,
                    () -> opt.approve(approved.get(0), "ops@example.com", null));
            assertEquals(Gdfo.EEXISTS, twice.status());
            opt.sync();
            stats = opt.stats();
            assertEquals(1, stats.pipelines());
            assertEquals(10, stats.plans());
            assertEquals(10, stats.feedback());
            assertEquals(20 + approved.size(), stats.records());

            String audit = opt.auditJson(null, 0);
            assertEquals(10, count(audit, "event", "plan"));
            assertEquals(10, count(audit, "event", "feedback"));
            assertEquals(approved.size(), count(audit, "event", "approval"));
            assertEquals(approved.size(), count(audit, "who", "ops@example.com"));
            assertEquals(1, count(audit, "note", "run " + ids.indexOf(approved.get(0)) + " reviewed"));
            assertTrue(count(audit, "event", "rollback") >= 1);
            assertEquals(1, count(audit, "event", "open"));
            String mine = Optimizer.auditJson(state, fingerprint, 0);
            assertEquals(0, count(mine, "event", "open"));
            assertEquals(10, count(mine, "event", "plan"));
            assertEquals("[]", Optimizer.auditJson(state, "0123456789abcdef", 0).strip());
        }
        assertEquals(ids.size(), new HashSet<>(ids).size());

        // the journal replays: the same stats, and a given feedback is still refused
        try (Optimizer opt = Optimizer.open(state, "", new Optimizer.Options().syncEvery(4));
                Telemetry t = new Telemetry()) {
            assertEquals(stats, opt.stats());
            t.setRun(new Telemetry.Run(true, 1000, -1, -1, -1));
            GdfoException e = assertThrows(GdfoException.class, () -> opt.feedback(ids.get(0), t));
            assertEquals(Gdfo.EEXISTS, e.status());
        }
    }

    @Test
    void aSimulatedClockAndTheSinceFilter() {
        double[] now = {1.7e9};
        String state = dir.resolve("clocked").toString();
        try (Optimizer opt = Optimizer.open(state, "", null, () -> now[0]); Graph g = Graph.load(TestPaths.RETAIL)) {
            for (int k = 1; k <= 3; k++) {
                now[0] = 1.7e9 + k * 3600.0;
                try (Plan plan = opt.plan(g); Telemetry t = simulatedRun(plan, k)) {
                    opt.feedback(plan.id(), t);
                }
            }
            String all = opt.auditJson(null, 0);
            assertEquals(1, count(all, "time", "2023-11-14T22:13:20Z"));       // the open, at 1.7e9
            assertEquals(3, count(all, "event", "plan"));
            String late = opt.auditJson(null, 1.7e9 + 2 * 3600.0);
            assertEquals(2, count(late, "event", "plan"));
            assertEquals(0, count(late, "event", "open"));
        }
        long before = System.currentTimeMillis() / 1000;
        try (Optimizer opt = Optimizer.open(dir.resolve("broken").toString(), "", null, () -> {
            throw new IllegalStateException("no time");
        })) {
            Matcher m = Pattern.compile("\"ts\":\\s*([0-9.e+]+)").matcher(opt.auditJson(null, 0));
            assertTrue(m.find());
            double ts = Double.parseDouble(m.group(1));
            assertTrue(Math.abs(ts - before) < 60, "the wall clock, not " + ts);
        }
        assertThrows(NullPointerException.class, () -> Optimizer.open(null, "", null, () -> 0));
    }

    @Test
    void withoutAStateDirectory() {
        try (Optimizer opt = new Optimizer(""); Graph g = Graph.load(TestPaths.RETAIL); Plan plan = opt.plan(g)) {
            assertNull(plan.id());
            assertNull(plan.loop());
            assertNull(plan.loopStep());
            assertFalse(plan.needsApproval());
            assertTrue(plan.loopEvents().isEmpty());
            assertNull(opt.stateDir());
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class, opt::stats).status());
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class, opt::sync).status());
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class, () -> opt.auditJson(null, 0)).status());
            assertEquals(Gdfo.EINVAL, assertThrows(GdfoException.class,
                    () -> opt.approve("0123456789abcdef-1", "me", null)).status());
        }
    }

    @Test
    void optionsPoliciesAndArguments() throws Exception {
        try (Optimizer.Options o = new Optimizer.Options()) {
            assertEquals(1, o.syncEvery());
            o.syncEvery(0);
            GdfoException e = assertThrows(GdfoException.class,
                    () -> Optimizer.open(dir.resolve("s0").toString(), "", o));
            assertEquals(Gdfo.EINVAL, e.status());
            assertTrue(e.getMessage().contains("sync_every"), e.getMessage());
        }
        Optimizer.checkPolicy("{\"format\": \"gdfo-policy/1\"}");
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"format\": \"gdfo-policy/1\"}");
        String state = dir.resolve("s1").toString();
        try (Optimizer opt = Optimizer.open(state, "", null)) {
            opt.setPolicy(policy.toString());
            assertEquals(Files.readString(policy), Files.readString(Path.of(state, "policy.json")));
            assertEquals(1, count(opt.auditJson(null, 0), "event", "policy"));
            try (Telemetry t = new Telemetry()) {
                assertThrows(NullPointerException.class, () -> opt.feedback(null, t));
            }
            assertThrows(NullPointerException.class, () -> opt.approve("0123456789abcdef-1", null, null));
        }
        GdfoException e = assertThrows(GdfoException.class,
                () -> Optimizer.auditJson(dir.resolve("nothing").toString(), null, 0));
        assertEquals(Gdfo.EIO, e.status());
        Set<String> none = new HashSet<>(Plan.eventNames(0));
        assertTrue(none.isEmpty());
        assertEquals(List.of("rollback", "explore"), Plan.eventNames(1 | 1 << 7));
    }
}

package org.gdfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** close() racing native calls on other threads: calls finish or see "closed", never a crash. */
class ConcurrencyTest {
    @Test
    void closeWhileReading() throws Exception {
        for (int round = 0; round < 20; round++) {
            Graph g = Graph.load(TestPaths.RETAIL);
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> unexpected = new AtomicReference<>();
            AtomicInteger closedSeen = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 50; i++) {
                            g.toJson();
                            g.stages();
                            g.fingerprint();
                        }
                    } catch (GdfoException e) {
                        if (e.getMessage().contains("closed")) {
                            closedSeen.incrementAndGet();
                        } else {
                            unexpected.set(e);
                        }
                    } catch (Throwable e) {
                        unexpected.set(e);
                    }
                });
                th.start();
                threads.add(th);
            }
            start.countDown();
            g.close();
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(null, unexpected.get());
            assertTrue(g.isClosed());
        }
    }

    @Test
    void errorsArePerThread() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        for (int t = 0; t < 8; t++) {
            String text = "[".repeat(t + 1);
            Thread th = new Thread(() -> {
                try {
                    Graph.fromJson(text).close();
                    unexpected.set(new AssertionError("accepted " + text));
                } catch (GdfoException e) {
                    if (!e.getMessage().equals(Gdfo.lastError())) {
                        unexpected.set(new AssertionError(e.getMessage() + " != " + Gdfo.lastError()));
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(null, unexpected.get());
    }
}

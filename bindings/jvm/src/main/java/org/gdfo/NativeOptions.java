package org.gdfo;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * Base of the options objects (RocksJava's pattern): the C struct lives on
 * the native side, allocated and initialized with the library's defaults by
 * the subclass, and every setter writes one named field of it through JNI,
 * so the struct's layout never appears in Java.
 *
 * <p>close() frees the struct and is idempotent; an options object nobody
 * references any more is freed by a {@link Cleaner}, so the usual
 * {@code new Rules.Options().reorderJoins(true)} inline needs no close.
 * Calls on one object are serialized on its monitor, so closing while
 * another thread uses it waits; an options object is otherwise meant for
 * one thread at a time.
 */
abstract class NativeOptions implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** Owns the pointer; shared with the Cleaner, which must not reach the options object. */
    private static final class State implements Runnable {
        private long ptr;
        private final LongConsumer free;

        State(long ptr, LongConsumer free) {
            this.ptr = ptr;
            this.free = free;
        }

        @Override
        public synchronized void run() {
            if (ptr != 0) {
                free.accept(ptr);
                ptr = 0;
            }
        }

        synchronized long get() {
            return ptr;
        }
    }

    private final State state;
    private final Cleaner.Cleanable cleanable;
    private final String kind;

    NativeOptions(long ptr, LongConsumer free, String kind) {
        this.state = new State(ptr, free);
        this.cleanable = CLEANER.register(this, state);
        this.kind = kind;
    }

    /** The live pointer; callers hold this object's monitor for the duration of the native call. */
    final long ptr() {
        long p = state.get();
        if (p == 0) {
            throw new GdfoException(Gdfo.EINVAL, "this " + kind + " is closed");
        }
        return p;
    }

    /** Frees the native struct; safe to call twice. */
    @Override
    public final synchronized void close() {
        cleanable.clean();
    }
}

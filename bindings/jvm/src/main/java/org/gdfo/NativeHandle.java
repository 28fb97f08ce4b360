package org.gdfo;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Owns one native pointer. Reading calls hold the read lock, so they run
 * concurrently (the C API allows concurrent reads); mutating calls and
 * {@link #close()} hold the write lock, so close() waits for calls in
 * progress and a closed handle is never passed to C. close() is idempotent.
 */
abstract class NativeHandle implements AutoCloseable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String kind;
    private long handle;

    @FunctionalInterface
    interface Call<T> {
        T apply(long handle);
    }

    NativeHandle(long handle, String kind) {
        Gdfo.load();
        this.handle = handle;
        this.kind = kind;
    }

    /** Frees the native object; called once, under the write lock. */
    abstract void free(long handle);

    final <T> T read(Call<T> call) {
        lock.readLock().lock();
        try {
            return call.apply(live());
        } finally {
            lock.readLock().unlock();
        }
    }

    final <T> T write(Call<T> call) {
        lock.writeLock().lock();
        try {
            return call.apply(live());
        } finally {
            lock.writeLock().unlock();
        }
    }

    private long live() {
        if (handle == 0) {
            throw new GdfoException(Gdfo.EINVAL, "this " + kind + " is closed");
        }
        return handle;
    }

    /** True once close() has run. */
    public final boolean isClosed() {
        lock.readLock().lock();
        try {
            return handle == 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Frees the native object; waits for calls in progress; safe to call twice. */
    @Override
    public final void close() {
        lock.writeLock().lock();
        try {
            if (handle != 0) {
                free(handle);
                handle = 0;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}

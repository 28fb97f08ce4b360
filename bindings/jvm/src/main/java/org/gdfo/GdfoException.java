package org.gdfo;

import java.nio.charset.StandardCharsets;

/**
 * A libgdfo call failed. {@link #status()} is the negative {@code gdfo_status}
 * of the C API (compare with the constants of {@link Gdfo}), {@link #statusName()}
 * its symbolic name ("GDFO_EFORMAT") and {@link #getMessage()} the library's
 * one-line message ({@code gdfo_last_error()}).
 */
public class GdfoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public GdfoException(int status, String message) {
        super(message);
        this.status = status;
    }

    /* Called from the JNI glue: the message arrives as UTF-8 bytes. */
    GdfoException(int status, byte[] message) {
        this(status, new String(message, StandardCharsets.UTF_8));
    }

    /** The negative gdfo_status. */
    public int status() {
        return status;
    }

    /** The symbolic name of the status, e.g. "GDFO_ECYCLE". */
    public String statusName() {
        return Gdfo.statusName(status);
    }

    @Override
    public String toString() {
        return "GdfoException(" + statusName() + "): " + getMessage();
    }
}

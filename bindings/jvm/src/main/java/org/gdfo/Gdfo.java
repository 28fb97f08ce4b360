package org.gdfo;

import java.nio.charset.StandardCharsets;

/**
 * Entry point of the libgdfo Java binding: loads the JNI glue
 * ({@code libgdfo_jni.so}, through {@code System.loadLibrary("gdfo_jni")}, so
 * it must be on {@code java.library.path}), which links {@code libgdfo.so.0}.
 * Loading checks that the run-time major version is the one this binding was
 * written for.
 */
public final class Gdfo {
    /** The libgdfo major version this binding was written against (include/gdfo/version.h). */
    public static final int BINDING_VERSION_MAJOR = 0;

    public static final int OK = 0;
    public static final int EINVAL = -1;
    public static final int ENOMEM = -2;
    public static final int EIO = -3;
    public static final int EFORMAT = -4;
    public static final int ECYCLE = -5;
    public static final int ENOTFOUND = -6;
    public static final int EEXISTS = -7;
    public static final int ERANGE = -8;
    public static final int EVERSION = -9;
    public static final int ECHECKSUM = -10;
    public static final int EILLEGAL = -11;
    public static final int EINTERNAL = -12;
    public static final int EUNSUPPORTED = -13;

    private static final int[] VERSION;

    static {
        System.loadLibrary("gdfo_jni");
        VERSION = nVersion();
        if (VERSION[0] != BINDING_VERSION_MAJOR) {
            throw new UnsatisfiedLinkError("libgdfo " + VERSION[0] + "." + VERSION[1] + "." + VERSION[2]
                    + " is loaded; this binding needs major version " + BINDING_VERSION_MAJOR);
        }
    }

    private Gdfo() {
    }

    /** Makes sure the native library is loaded (every class calls it first). */
    static void load() {
        // The static initializer did the work.
    }

    /** The run-time library version as {major, minor, patch}. */
    public static int[] version() {
        return VERSION.clone();
    }

    /** The run-time library version as "MAJOR.MINOR.PATCH". */
    public static String versionString() {
        return VERSION[0] + "." + VERSION[1] + "." + VERSION[2];
    }

    /** The symbolic name of a status ("GDFO_EFORMAT"), "GDFO_UNKNOWN" if not one. */
    public static String statusName(int status) {
        return new String(nStatusName(status), StandardCharsets.UTF_8);
    }

    /** The calling thread's last libgdfo error message. */
    public static String lastError() {
        return new String(nLastError(), StandardCharsets.UTF_8);
    }

    static byte[] utf8(String s, String what) {
        if (s == null) {
            throw new NullPointerException(what + " is null");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static native int[] nVersion();

    private static native byte[] nStatusName(int status);

    private static native byte[] nLastError();
}

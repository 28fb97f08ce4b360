package org.gdfo;

import java.nio.charset.StandardCharsets;

/**
 * Entry point of the libgdfo Java binding: loads the JNI glue
 * {@code libgdfo_jni.so}, which links {@code libgdfo.so.0.2}. The glue is
 * found, in this order, at the path in the system property
 * {@value #LIBRARY_PROPERTY}, at the path in the environment variable
 * {@value #LIBRARY_ENV}, else by {@code System.loadLibrary("gdfo_jni")} on
 * {@code java.library.path} (run with {@code -Djava.library.path=DIR}, DIR
 * holding {@code libgdfo_jni.so}; {@code make jvm} builds it in
 * {@code build/}). If it cannot be loaded, the {@code UnsatisfiedLinkError}
 * says which of these to set. Loading checks that the run-time major
 * version is the one this binding was written for.
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
    /** A callback asked a long operation to stop. */
    public static final int ECANCELED = -14;
    public static final int EANOMALY = -15;

    /** System property naming the path of libgdfo_jni.so (wins over everything else). */
    public static final String LIBRARY_PROPERTY = "gdfo.jni.library";
    /** Environment variable naming the path of libgdfo_jni.so. */
    public static final String LIBRARY_ENV = "GDFO_JNI_LIBRARY";

    private static final int[] VERSION;

    static {
        loadGlue();
        VERSION = nVersion();
        if (VERSION[0] != BINDING_VERSION_MAJOR) {
            throw new UnsatisfiedLinkError("libgdfo " + VERSION[0] + "." + VERSION[1] + "." + VERSION[2]
                    + " is loaded; this binding needs major version " + BINDING_VERSION_MAJOR);
        }
    }

    private Gdfo() {
    }

    private static void loadGlue() {
        String path = System.getProperty(LIBRARY_PROPERTY);
        String from = "-D" + LIBRARY_PROPERTY;
        if (path == null || path.isEmpty()) {
            path = System.getenv(LIBRARY_ENV);
            from = LIBRARY_ENV;
        }
        try {
            if (path != null && !path.isEmpty()) {
                System.load(java.nio.file.Path.of(path).toAbsolutePath().toString());
            } else {
                System.loadLibrary("gdfo_jni");
            }
        } catch (UnsatisfiedLinkError e) {
            String msg = String.valueOf(e.getMessage());
            String how;
            if (path != null && !path.isEmpty()) {
                how = from + "=" + path + " cannot be loaded (" + msg + "); set it to the path of libgdfo_jni.so";
            } else if (msg.contains("gdfo_jni in java.library.path")) {
                how = "libgdfo_jni.so is not on java.library.path (" + System.getProperty("java.library.path")
                        + "): run with -Djava.library.path=DIR where DIR holds libgdfo_jni.so (`make jvm` builds"
                        + " it in build/), or set " + LIBRARY_ENV + " or -D" + LIBRARY_PROPERTY + " to its path";
            } else {
                how = "libgdfo_jni.so was found but cannot be loaded (" + msg + "); it needs libgdfo.so.0.2"
                        + " beside it or on the system linker's path";
            }
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("cannot load the libgdfo JNI glue: " + how);
            err.initCause(e);
            throw err;
        }
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

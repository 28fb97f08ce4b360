package org.gdfo;

/** Loads the binding in a fresh JVM and prints the library version (BuildTest runs it). */
public final class LoadProbe {
    private LoadProbe() {
    }

    public static void main(String[] args) {
        System.out.println("libgdfo " + Gdfo.versionString());
    }
}

package org.gdfo;

/**
 * Graph-level knobs, the resource blueprint (include/gdfo/graph.h,
 * gdfo_graph_knobs); 0 means engine default. Read with {@link Graph#knobs()},
 * write with {@link Graph#setKnobs(GraphKnobs)}.
 *
 * @param executors              0..100000
 * @param coresPerExecutor       0..1024
 * @param memoryPerExecutorBytes 0 or at least 64 MiB
 */
public record GraphKnobs(int executors, int coresPerExecutor, long memoryPerExecutorBytes) {
}

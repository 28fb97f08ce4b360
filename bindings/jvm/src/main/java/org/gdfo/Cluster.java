package org.gdfo;

/**
 * The cluster a pipeline runs on (include/gdfo/graph.h, gdfo_cluster); 0
 * means not known. Read with {@link Graph#cluster()}, write with
 * {@link Graph#setCluster(Cluster)}.
 *
 * @param executorsAvailable     0..100000
 * @param pricePerExecutorSecond currency units per executor-second, at least 0
 * @param sloMs                  end-to-end latency objective, at least 0
 */
public record Cluster(int executorsAvailable, double pricePerExecutorSecond, double sloMs) {
}

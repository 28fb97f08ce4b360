package org.gdfo;

import java.util.List;

/**
 * A copy of one pipeline stage (include/gdfo/graph.h, gdfo_stage). Enum
 * values are by name: op "join", joinType "inner" (null unless a join),
 * joinStrategy "broadcast", cache "memory". parents and children are stage
 * ids (a join's left input first).
 */
public record Stage(long id, String name, String op, String joinType, List<String> fusedOps,
        double rowsIn, double bytesIn, double selectivity, double keyCardinality, double skew,
        double cpuNsPerRow, int partitions, String joinStrategy, String cache, int priority,
        long targetFileBytes, int compactionEvery, List<String> columnsRead,
        List<String> columnsWritten, List<Long> parents, List<Long> children) {
}

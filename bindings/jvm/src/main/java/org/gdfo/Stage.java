package org.gdfo;

import java.util.List;

/**
 * A copy of one pipeline stage (include/gdfo/graph.h, gdfo_stage). Enum
 * values are by name: op "join", joinType "inner" (null unless a join),
 * joinStrategy "broadcast", cache "memory". parents and children are stage
 * ids (a join's left input first). fields holds every statistic and knob
 * by its C and JSON name ("rows_in", "partitions"), listed from the
 * library's field tables (gdfo_field_at): Double for statistics and other
 * real numbers, Long for integer knobs, String for enum knobs; fields the
 * library adds later appear there without a change to this class.
 */
public record Stage(long id, String name, String op, String joinType, List<String> fusedOps,
        double rowsIn, double bytesIn, double selectivity, double keyCardinality, double skew,
        double cpuNsPerRow, int partitions, String joinStrategy, String cache, int priority,
        long targetFileBytes, int compactionEvery, List<String> columnsRead,
        List<String> columnsWritten, List<Long> parents, List<Long> children,
        java.util.Map<String, Object> fields) {

    /** A statistic or knob by its name, or null if the library has no such field. */
    public Object field(String name) {
        return fields.get(name);
    }
}

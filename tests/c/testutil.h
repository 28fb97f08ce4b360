/* Helpers shared by the C test suites (linked into every test binary). */
#ifndef GDFO_TESTUTIL_H
#define GDFO_TESTUTIL_H

#include "gdfo/gdfo.h"

/*
 * Adds a stage; rd and wr are comma-separated column lists ("a,b"; "" or
 * NULL = unknown). Fails the running test if the graph refuses it.
 */
void tu_add_stage(gdfo_graph *g, int64_t id, const char *name, int op, const char *rd,
		  const char *wr, double rows, double bytes, double sel, double cpu);

/*
 * For tests that fill a stage by hand: tu_init initializes stage, stats
 * and knobs and points the stage at the two; tu_own copies a stage's
 * borrowed stats and knobs (from gdfo_graph_stage_at) into st and kn and
 * points the stage at them, so they can be changed and passed back.
 */
void tu_init(gdfo_stage *s, gdfo_stage_stats *st, gdfo_stage_knobs *kn);
void tu_own(gdfo_stage *s, gdfo_stage_stats *st, gdfo_stage_knobs *kn);

/* Adds parent -> child; fails the running test if refused. */
void tu_edge(gdfo_graph *g, int64_t parent, int64_t child);

/* The stage with id (borrowed pointers); fails the test if it is missing. */
gdfo_stage tu_get(const gdfo_graph *g, int64_t id);

/* The ids of the parents of stage id, in order, as "a,b" (static buffer). */
const char *tu_parents_of(const gdfo_graph *g, int64_t id);

/* A generated pipeline (gdfo_generate; stages 0 = the family's own); fails the test if refused. */
gdfo_graph *tu_generate(int family, uint64_t seed, int stages);

/*
 * Pipeline i of a corpus of the three example pipelines, then the five
 * generated families for seeds 1, 2, ...: i < 3 + 5 * seeds.
 */
gdfo_graph *tu_corpus(int i);

/* The whole file at path, NUL-terminated (free it); its length in *len (may be NULL). Fails the test if unreadable. */
char *tu_slurp(const char *path, size_t *len);

/* The shared data folder: $GDFO_SHARED_DATA or ../shared/data. */
const char *tu_shared_data(void);

#endif

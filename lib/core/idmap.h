/*
 * An id -> index map: open addressing with linear probing over int64 ids,
 * for the stage tables of graphs, job profiles and event logs. Not
 * installed.
 */
#ifndef GDFO_CORE_IDMAP_H
#define GDFO_CORE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct gdfo__idmap_slot {
	int64_t id;
	size_t index1; /* index + 1; 0 = empty */
} gdfo__idmap_slot;

/* Zero-initialised ({0}) it is an empty map. */
typedef struct gdfo__idmap {
	gdfo__idmap_slot *slots;
	size_t cap; /* 0 or a power of two; kept >= 2 * n + 2 */
	size_t n;
} gdfo__idmap;

/* The index stored for id, or (size_t)-1. */
size_t gdfo__idmap_get(const gdfo__idmap *m, int64_t id);

/*
 * Maps id to index; id must not be in the map yet (callers look it up
 * first, to say which id is duplicated). Grows the table when needed.
 * Errors: GDFO_ENOMEM, with the map unchanged.
 */
int gdfo__idmap_put(gdfo__idmap *m, int64_t id, size_t index);

/* Makes room for n entries without growing later. Errors: GDFO_ENOMEM. */
int gdfo__idmap_reserve(gdfo__idmap *m, size_t n);

/*
 * Empties the map and keeps its table, so that putting back at most as
 * many entries as it held cannot fail (a removal re-numbers the indices).
 */
void gdfo__idmap_clear(gdfo__idmap *m);

void gdfo__idmap_free(gdfo__idmap *m);

#endif

/*
 * The id -> index map (lib/core/idmap.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/idmap.h"
#include "core/internal.h"

static size_t hash_id(int64_t id)
{
	uint64_t x = (uint64_t)id;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static void slot_put(gdfo__idmap_slot *slots, size_t cap, int64_t id, size_t index)
{
	size_t h = hash_id(id) & (cap - 1);
	while (slots[h].index1)
		h = (h + 1) & (cap - 1);
	slots[h].id = id;
	slots[h].index1 = index + 1;
}

size_t gdfo__idmap_get(const gdfo__idmap *m, int64_t id)
{
	size_t h;

	if (!m->cap)
		return (size_t)-1;
	h = hash_id(id) & (m->cap - 1);
	while (m->slots[h].index1) {
		if (m->slots[h].id == id)
			return m->slots[h].index1 - 1;
		h = (h + 1) & (m->cap - 1);
	}
	return (size_t)-1;
}

int gdfo__idmap_reserve(gdfo__idmap *m, size_t n)
{
	gdfo__idmap_slot *slots;
	size_t cap = m->cap ? m->cap : 16, i;

	if (n > (SIZE_MAX / sizeof(*slots) - 2) / 2)
		return gdfo__error(GDFO_ENOMEM, "an index of %zu ids is too large", n);
	if (m->cap >= 2 * n + 2)
		return 0;
	while (cap < 2 * n + 2)
		cap *= 2;
	slots = gdfo__calloc(cap, sizeof(*slots));
	if (!slots)
		return GDFO_ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].index1)
			slot_put(slots, cap, m->slots[i].id, m->slots[i].index1 - 1);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int gdfo__idmap_put(gdfo__idmap *m, int64_t id, size_t index)
{
	if (gdfo__idmap_reserve(m, m->n + 1))
		return GDFO_ENOMEM;
	slot_put(m->slots, m->cap, id, index);
	m->n++;
	return 0;
}

void gdfo__idmap_clear(gdfo__idmap *m)
{
	if (m->cap)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->n = 0;
}

void gdfo__idmap_free(gdfo__idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

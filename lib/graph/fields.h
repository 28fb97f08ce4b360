/*
 * The field tables of stage statistics, stage knobs, graph knobs and the
 * graph's cluster: each field described once (name = C field = JSON key,
 * type, range, default, the operator it applies to, a doc line). They
 * drive *_init, validation, the pipeline JSON reader and writer, the
 * public gdfo_field_at and, through it, the bindings.
 */
#ifndef GDFO_FIELDS_H
#define GDFO_FIELDS_H

#include "core/internal.h"
#include "gdfo/graph.h"

typedef struct gdfo__field_desc {
	const char *name;
	int32_t type;     /* gdfo_field_type */
	size_t offset;
	double min, max;  /* enums: 0..count-1 */
	double def;
	int32_t zero_ok;  /* 0 is allowed besides min..max ("engine default") */
	int32_t only_op;  /* -1, or the gdfo_op the field applies to */
	const char *(*value_name)(int); /* enums */
	const char *doc;
	int32_t feature;      /* how the encoder sees it (knobs): GDFO__FEAT_* */
	double feature_scale; /* log features: log1p(value) / scale */
	int32_t omit_default; /* JSON writers leave the field out while it holds its default
				 (fields added after 0.2, so older documents stay byte-identical) */
} gdfo__field_desc;

/*
 * Encoder features of a knob (lib/nn/features.c lays them out in table
 * order): LOG one column log1p(v)/scale; LOG_DEFAULT that and a column
 * that is 1 when the knob is 0 (engine default); SIGNED_LOG
 * sign(v)·log1p(|v|)/scale; ONE_HOT one column per enum value (all 0 on
 * stages of other operators when only_op is set).
 */
enum { GDFO__FEAT_NONE = 0, GDFO__FEAT_LOG, GDFO__FEAT_LOG_DEFAULT, GDFO__FEAT_SIGNED_LOG,
       GDFO__FEAT_ONE_HOT };

/* Columns the knobs of set take in the feature vector. */
size_t gdfo__fields_feature_width(int set);

/* Writes the feature columns of s (a full struct of set) for a stage of op (-1: none) at f. */
void gdfo__fields_features(float *f, int set, const void *s, int op);

/* The table of a gdfo_field_set and its length; NULL for an unknown set. */
const gdfo__field_desc *gdfo__fields(int set, size_t *n);

/* The group name used in messages and JSON ("stats", "knobs", "cluster"). */
const char *gdfo__fields_group(int set);

double gdfo__field_get(const void *s, const gdfo__field_desc *f);
void gdfo__field_set(void *s, const gdfo__field_desc *f, double v);

/* Fills out (a full struct of set) with every field's default and the latest version. */
void gdfo__fields_defaults(int set, void *out);

/*
 * Checks every field of s (a full, latest-version struct of set) for a
 * stage of operator op (-1: not a stage). Messages read
 * "<who>: <group>.<field> is ...; allowed ...". With who NULL it only
 * checks: GDFO_EINVAL without a message (callers format who when it fails).
 */
int gdfo__fields_check(int set, const void *s, int op, const char *who);

/* "0 (default) or 1 to 1000000" and the like, for messages. */
void gdfo__field_range_text(char *out, size_t cap, const gdfo__field_desc *f);

#endif

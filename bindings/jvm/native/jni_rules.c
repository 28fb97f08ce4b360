/* org.gdfo.Rules: the rule-based optimizer and its native Options object. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Rules.h"

JNIEXPORT jlong JNICALL Java_org_gdfo_Rules_nOptionsCreate(JNIEnv *env, jclass cls)
{
	gdfo_rules_options *o = malloc(sizeof(*o));

	if (!o) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory allocating rules options");
		return 0;
	}
	if (gdfo__jni_fail(env, gdfo_rules_options_init(o, GDFO_RULES_OPTIONS_VERSION))) {
		free(o);
		return 0;
	}
	return HANDLE(o);
}

JNIEXPORT void JNICALL Java_org_gdfo_Rules_nOptionsFree(JNIEnv *env, jclass cls, jlong o)
{
	free(PTR(o));
}

/* One setter and one getter per field; booleans are 0/1 in the C struct. */
#define OPTION(Name, field, jtype, to_c, to_java) \
	JNIEXPORT void JNICALL Java_org_gdfo_Rules_nSet##Name(JNIEnv *env, jclass cls, jlong o, jtype v) \
	{ \
		if (!gdfo__jni_check_handle(env, o)) \
			((gdfo_rules_options *)PTR(o))->field = to_c; \
	} \
	JNIEXPORT jtype JNICALL Java_org_gdfo_Rules_nGet##Name(JNIEnv *env, jclass cls, jlong o) \
	{ \
		const gdfo_rules_options *p = PTR(o); \
		if (gdfo__jni_check_handle(env, o)) \
			return 0; \
		return to_java; \
	}
#define SWITCH(Name, field) OPTION(Name, field, jboolean, v ? 1 : 0, p->field ? JNI_TRUE : JNI_FALSE)
#define NUMBER(Name, field, jtype) OPTION(Name, field, jtype, v, (jtype)p->field)

SWITCH(PushFilters, push_filters)
SWITCH(FuseNarrow, fuse_narrow)
SWITCH(BroadcastJoins, broadcast_joins)
SWITCH(SetPartitions, set_partitions)
SWITCH(CacheShared, cache_shared)
SWITCH(SetPriorities, set_priorities)
SWITCH(ReorderJoins, reorder_joins)
NUMBER(TargetPartitionBytes, target_partition_bytes, jlong)
NUMBER(MinPartitionBytes, min_partition_bytes, jlong)
NUMBER(BroadcastMaxBytes, broadcast_max_bytes, jlong)
NUMBER(CacheBudgetBytes, cache_budget_bytes, jlong)
NUMBER(CacheMemoryFraction, cache_memory_fraction, jdouble)
NUMBER(PartitionChangeMin, partition_change_min, jdouble)

JNIEXPORT jlong JNICALL Java_org_gdfo_Rules_nOptimize(JNIEnv *env, jclass cls, jlong g, jlong t, jlong o)
{
	gdfo_plan *plan = NULL;

	if (gdfo__jni_check_handle(env, g) || gdfo__jni_check_handle(env, o) ||
	    gdfo__jni_fail(env, gdfo_optimize_rules(&plan, PTR(g), t ? PTR(t) : NULL, PTR(o))))
		return 0;
	return HANDLE(plan);
}

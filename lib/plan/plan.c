/*
 * Plans: the container optimizers fill, its getters, the risk policy and
 * the human-readable explanation.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "plan/plan_internal.h"

static const char *const change_kind_names[GDFO_CHANGE_KIND_COUNT] = {
	"push_filter", "fuse", "cache", "join_strategy", "partitions",
	"reorder_joins", "priority", "resources", "file_sizing",
};
static const char *const risk_names[] = {"low", "medium", "high"};

const char *gdfo_change_kind_name(int kind)
{
	return kind >= 0 && kind < GDFO_CHANGE_KIND_COUNT ? change_kind_names[kind] : NULL;
}

const char *gdfo_risk_name(int risk)
{
	return risk >= 0 && risk < (int)GDFO__ARRAY_LEN(risk_names) ? risk_names[risk] : NULL;
}

int gdfo__change_kind_from_name(const char *name)
{
	int i;
	for (i = 0; name && i < GDFO_CHANGE_KIND_COUNT; i++)
		if (!strcmp(name, change_kind_names[i]))
			return i;
	return -1;
}

int gdfo__risk_from_name(const char *name)
{
	int i;
	for (i = 0; name && i < (int)GDFO__ARRAY_LEN(risk_names); i++)
		if (!strcmp(name, risk_names[i]))
			return i;
	return -1;
}

/* ---- create, free ---------------------------------------------------------- */

static int check_source(const char *source)
{
	size_t n;
	if (!source)
		return gdfo__error(GDFO_EINVAL, "plan source is NULL");
	n = strlen(source);
	if (n == 0 || n > GDFO__PLAN_SOURCE_MAX)
		return gdfo__error(GDFO_EINVAL, "plan source must be 1 to %d bytes long, not %zu",
				   GDFO__PLAN_SOURCE_MAX, n);
	return 0;
}

int gdfo__plan_adopt(gdfo_plan **out, gdfo_graph *graph, const char *source)
{
	gdfo_plan *p;

	if (!out) {
		gdfo_graph_free(graph);
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_adopt: out is NULL");
	}
	*out = NULL;
	if (!graph)
		return gdfo__error(GDFO_EINVAL, "a plan needs a graph");
	if (check_source(source)) {
		gdfo_graph_free(graph);
		return GDFO_EINVAL;
	}
	p = gdfo__calloc(1, sizeof(*p));
	if (!p || !(p->source = gdfo__strdup(source))) {
		free(p);
		gdfo_graph_free(graph);
		return GDFO_ENOMEM;
	}
	p->graph = graph;
	p->prediction.version = GDFO_PREDICTION_VERSION;
	p->prediction.latency_ms = -1;
	p->prediction.throughput = -1;
	p->prediction.cost = -1;
	p->prediction.baseline_latency_ms = -1;
	p->prediction.baseline_cost = -1;
	p->prediction.execution_ms = p->prediction.baseline_execution_ms = -1;
	p->prediction.overhead_ms = p->prediction.measured_latency_ms = -1;
	p->prediction.calibrated = p->prediction.stages_calibrated = p->prediction.baseline_stages_calibrated = -1;
	p->risk = GDFO_RISK_LOW;
	p->loop.version = GDFO_PLAN_LOOP_VERSION;
	p->loop.forecast_scale = 1;
	*out = p;
	return 0;
}

int gdfo__plan_create(gdfo_plan **out, const gdfo_graph *graph, const char *source)
{
	gdfo_graph *copy;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_create: out is NULL");
	*out = NULL;
	if (!graph)
		return gdfo__error(GDFO_EINVAL, "a plan needs a graph");
	if ((rc = check_source(source)))
		return rc;
	if ((rc = gdfo_graph_clone(&copy, graph)))
		return rc;
	return gdfo__plan_adopt(out, copy, source);
}

void gdfo__change_release(gdfo__change *c)
{
	free(c->stage_ids);
	free(c->what);
	free(c->why);
	free(c->attended_ids);
	free(c->field);
	free(c->old_label);
	free(c->new_label);
}

void gdfo_plan_free(gdfo_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_changes; i++)
		gdfo__change_release(&p->changes[i]);
	free(p->changes);
	for (i = 0; i < p->n_rejected; i++)
		gdfo__change_release(&p->rejected[i]);
	free(p->rejected);
	for (i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p->source);
	gdfo_graph_free(p->graph);
	free(p);
}

gdfo_graph *gdfo__plan_graph_mut(gdfo_plan *p)
{
	return p ? p->graph : NULL;
}

/* ---- changes, prediction, risk -------------------------------------------- */

static int check_text(const char *s, const char *field)
{
	size_t n;
	if (!s || !s[0])
		return gdfo__error(GDFO_EINVAL, "change %s is empty; every change explains itself", field);
	n = strlen(s);
	if (n > GDFO__PLAN_TEXT_MAX)
		return gdfo__error(GDFO_EINVAL, "change %s is %zu bytes long; the limit is %d", field, n,
				   GDFO__PLAN_TEXT_MAX);
	return 0;
}

void gdfo__stage_label(char *out, size_t size, const gdfo__stage *s)
{
	snprintf(out, size, "%s %lld '%s'", gdfo_op_name(s->op), (long long)s->id, s->name);
}

/* A label or field name: NULL, or 1..max bytes. */
static int check_opt_text(const char *s, const char *field, size_t max)
{
	size_t n;
	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > max)
		return gdfo__error(GDFO_EINVAL, "change %s must be 1 to %zu bytes long, not %zu", field, max, n);
	return 0;
}

/* A copy of an optional string: 0 when s is NULL or copied. */
static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	return s && !(*out = gdfo__strdup(s)) ? GDFO_ENOMEM : 0;
}

static int64_t *copy_ids(const int64_t *ids, size_t n, int *rc)
{
	int64_t *d;
	*rc = 0;
	if (!n)
		return NULL;
	d = gdfo__malloc(n * sizeof(*d));
	if (!d) {
		*rc = GDFO_ENOMEM;
		return NULL;
	}
	memcpy(d, ids, n * sizeof(*d));
	return d;
}

static int add_change(gdfo__change **list, size_t *n, size_t *cap, const gdfo_change *c);

int gdfo__plan_add_change(gdfo_plan *p, const gdfo_change *c)
{
	if (!p || !c)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_add_change: %s is NULL", p ? "change" : "plan");
	return add_change(&p->changes, &p->n_changes, &p->cap_changes, c);
}

int gdfo__plan_add_rejected(gdfo_plan *p, const gdfo_change *c)
{
	if (!p || !c)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_add_rejected: %s is NULL", p ? "change" : "plan");
	return add_change(&p->rejected, &p->n_rejected, &p->cap_rejected, c);
}

int gdfo__plan_add_notef(gdfo_plan *p, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return gdfo__plan_add_note(p, buf);
}

int gdfo__plan_add_note(gdfo_plan *p, const char *note)
{
	void *items;
	char *d;
	int rc;

	if (!p)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_add_note: plan is NULL");
	if ((rc = check_text(note, "note")))
		return rc;
	if (!(d = gdfo__strdup(note)))
		return GDFO_ENOMEM;
	items = p->notes;
	if (gdfo__grow(&items, &p->cap_notes, p->n_notes + 1, sizeof(*p->notes))) {
		free(d);
		return GDFO_ENOMEM;
	}
	p->notes = items;
	p->notes[p->n_notes++] = d;
	return 0;
}

static int add_change(gdfo__change **list, size_t *n, size_t *cap, const gdfo_change *c)
{
	gdfo__change d;
	void *items;
	size_t i;
	int rc;

	if (c->kind < 0 || c->kind >= GDFO_CHANGE_KIND_COUNT)
		return gdfo__error(GDFO_EINVAL, "change kind %d is not a gdfo_change_kind", c->kind);
	if ((rc = check_text(c->what, "what")) || (rc = check_text(c->why, "why")))
		return rc;
	if (!isfinite(c->expected_gain) || c->expected_gain > 1 || c->expected_gain < -1e6)
		return gdfo__error(GDFO_EINVAL, "change expected_gain is %g; it must be finite, at most 1",
				   c->expected_gain);
	if (!isfinite(c->confidence) || c->confidence < 0 || c->confidence > 1)
		return gdfo__error(GDFO_EINVAL, "change confidence is %g; it must be in [0, 1]", c->confidence);
	if ((c->n_stage_ids && !c->stage_ids) || (c->n_attended_ids && !c->attended_ids))
		return gdfo__error(GDFO_EINVAL, "change id list is NULL but its count is not 0");
	for (i = 0; i < c->n_stage_ids; i++)
		if (c->stage_ids[i] < 0)
			return gdfo__error(GDFO_EINVAL, "change stage_ids[%zu] is negative", i);
	for (i = 0; i < c->n_attended_ids; i++)
		if (c->attended_ids[i] < 0)
			return gdfo__error(GDFO_EINVAL, "change attended_ids[%zu] is negative", i);
	if ((rc = check_opt_text(c->field, "field", GDFO__CHANGE_FIELD_MAX)) ||
	    (rc = check_opt_text(c->old_label, "old_label", GDFO__PLAN_TEXT_MAX)) ||
	    (rc = check_opt_text(c->new_label, "new_label", GDFO__PLAN_TEXT_MAX)))
		return rc;
	if (isinf(c->old_value) || isinf(c->new_value))
		return gdfo__error(GDFO_EINVAL, "change %s is infinite; it must be finite or NaN (not applicable)",
				   isinf(c->old_value) ? "old_value" : "new_value");
	memset(&d, 0, sizeof(d));
	d.old_value = c->old_value;
	d.new_value = c->new_value;
	d.kind = c->kind;
	d.expected_gain = c->expected_gain;
	d.confidence = c->confidence;
	d.stage_ids = copy_ids(c->stage_ids, c->n_stage_ids, &rc);
	if (rc)
		goto oom;
	d.n_stage_ids = c->n_stage_ids;
	d.attended_ids = copy_ids(c->attended_ids, c->n_attended_ids, &rc);
	if (rc)
		goto oom;
	d.n_attended_ids = c->n_attended_ids;
	if (!(d.what = gdfo__strdup(c->what)) || !(d.why = gdfo__strdup(c->why)) || dup_opt(&d.field, c->field) ||
	    dup_opt(&d.old_label, c->old_label) || dup_opt(&d.new_label, c->new_label))
		goto oom;
	items = *list;
	if (gdfo__grow(&items, cap, *n + 1, sizeof(**list)))
		goto oom;
	*list = items;
	(*list)[(*n)++] = d;
	return 0;
oom:
	gdfo__change_release(&d);
	return GDFO_ENOMEM;
}

static int check_pred(double v, const char *field)
{
	if (!isfinite(v) || (v < 0 && v != -1))
		return gdfo__error(GDFO_EINVAL, "prediction.%s is %g; it must be -1 (unknown) or finite and >= 0",
				   field, v);
	return 0;
}

int gdfo__plan_set_prediction(gdfo_plan *p, const gdfo_prediction *pr)
{
	if (!p || !pr)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_set_prediction: %s is NULL", p ? "prediction" : "plan");
	if (check_pred(pr->latency_ms, "latency_ms") || check_pred(pr->throughput, "throughput") ||
	    check_pred(pr->cost, "cost") || check_pred(pr->baseline_latency_ms, "baseline_latency_ms") ||
	    check_pred(pr->baseline_cost, "baseline_cost") || check_pred(pr->execution_ms, "execution_ms") ||
	    check_pred(pr->baseline_execution_ms, "baseline_execution_ms") ||
	    check_pred(pr->overhead_ms, "overhead_ms") || check_pred(pr->measured_latency_ms, "measured_latency_ms") ||
	    check_pred(pr->calibrated, "calibrated") || check_pred(pr->stages_calibrated, "stages_calibrated") ||
	    check_pred(pr->baseline_stages_calibrated, "baseline_stages_calibrated"))
		return GDFO_EINVAL;
	if (pr->calibrated > 1)
		return gdfo__error(GDFO_EINVAL, "prediction.calibrated is %d; it must be -1 (unknown), 0 or 1", pr->calibrated);
	p->prediction = *pr;
	return 0;
}

const char *gdfo_plan_id(const gdfo_plan *p)
{
	return p && p->id[0] ? p->id : NULL;
}

int gdfo_plan_loop_info(gdfo_plan_loop *out, const gdfo_plan *p)
{
	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_loop_info: NULL argument");
	return gdfo__abi_out(out, &p->loop, GDFO__ABI_PLAN_LOOP, "gdfo_plan_loop_info");
}

int gdfo__plan_set_loop(gdfo_plan *p, const char *id, const gdfo_plan_loop *loop)
{
	size_t n = id ? strlen(id) : 0;
	if (!p || !loop || !n || n > GDFO_PLAN_ID_MAX)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_set_loop: bad argument");
	memcpy(p->id, id, n + 1);
	p->loop = *loop;
	p->loop.version = GDFO_PLAN_LOOP_VERSION;
	return 0;
}

int gdfo__plan_set_risk(gdfo_plan *p, int risk)
{
	if (!p)
		return gdfo__error(GDFO_EINVAL, "gdfo__plan_set_risk: plan is NULL");
	if (!gdfo_risk_name(risk))
		return gdfo__error(GDFO_EINVAL, "risk %d is not a gdfo_risk", risk);
	p->risk = risk;
	return 0;
}

/* How far a resource knob moved: 0 none, 1 by 25 % or more, 2 by 2x or more / to or from default. */
static int resource_step(double before, double after)
{
	double r;
	if (before == after)
		return 0;
	if (before == 0 || after == 0)
		return 2;
	r = after > before ? after / before : before / after;
	if (r >= 2.0)
		return 2;
	return r >= 1.25 ? 1 : 0;
}

int gdfo__plan_assess_risk(const gdfo_plan *p, const gdfo_graph *base)
{
	int risk = GDFO_RISK_LOW, step;
	size_t i;

	if (!p)
		return GDFO_RISK_LOW;
	for (i = 0; i < p->n_changes; i++) {
		int k = p->changes[i].kind;
		if (k == GDFO_CHANGE_REORDER_JOINS)
			return GDFO_RISK_HIGH;
		if ((k == GDFO_CHANGE_PUSH_FILTER || k == GDFO_CHANGE_FUSE) && risk < GDFO_RISK_MEDIUM)
			risk = GDFO_RISK_MEDIUM;
	}
	if (base) {
		const gdfo_graph_knobs *a = &base->knobs, *b = &p->graph->knobs;
		step = resource_step(a->executors, b->executors);
		if (resource_step(a->cores_per_executor, b->cores_per_executor) > step)
			step = resource_step(a->cores_per_executor, b->cores_per_executor);
		if (resource_step((double)a->memory_per_executor_bytes, (double)b->memory_per_executor_bytes) > step)
			step = resource_step((double)a->memory_per_executor_bytes,
					     (double)b->memory_per_executor_bytes);
		if (step == 2)
			return GDFO_RISK_HIGH;
		if (step == 1 && risk < GDFO_RISK_MEDIUM)
			risk = GDFO_RISK_MEDIUM;
	}
	if (p->graph->cluster.executors_available > 0 &&
	    p->graph->knobs.executors > p->graph->cluster.executors_available)
		return GDFO_RISK_HIGH;
	return risk;
}

/* ---- getters --------------------------------------------------------------- */

const gdfo_graph *gdfo_plan_graph(const gdfo_plan *p)
{
	return p ? p->graph : NULL;
}

const char *gdfo_plan_source(const gdfo_plan *p)
{
	return p ? p->source : NULL;
}

size_t gdfo_plan_change_count(const gdfo_plan *p)
{
	return p ? p->n_changes : 0;
}

static int change_view(gdfo_change *out, const gdfo__change *list, size_t n, size_t index,
		       const char *fn, const char *what);

int gdfo_plan_change_at(gdfo_change *out, const gdfo_plan *p, size_t index)
{
	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_change_at: %s is NULL", p ? "out" : "plan");
	return change_view(out, p->changes, p->n_changes, index, "gdfo_plan_change_at", "changes");
}

size_t gdfo_plan_rejected_count(const gdfo_plan *p)
{
	return p ? p->n_rejected : 0;
}

int gdfo_plan_rejected_at(gdfo_change *out, const gdfo_plan *p, size_t index)
{
	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_rejected_at: %s is NULL", p ? "out" : "plan");
	return change_view(out, p->rejected, p->n_rejected, index, "gdfo_plan_rejected_at", "rejected changes");
}

size_t gdfo_plan_note_count(const gdfo_plan *p)
{
	return p ? p->n_notes : 0;
}

const char *gdfo_plan_note_at(const gdfo_plan *p, size_t index)
{
	return p && index < p->n_notes ? p->notes[index] : NULL;
}

static int change_view(gdfo_change *out, const gdfo__change *list, size_t n, size_t index,
		       const char *fn, const char *what)
{
	const gdfo__change *c;
	gdfo_change view;

	if (gdfo__abi_check(out, GDFO__ABI_CHANGE, fn))
		return GDFO_EVERSION;
	if (index >= n)
		return gdfo__error(GDFO_ERANGE, "change index %zu is out of range (the plan has %zu %s)",
				   index, n, what);
	c = &list[index];
	memset(&view, 0, sizeof(view));
	view.kind = c->kind;
	view.stage_ids = c->stage_ids;
	view.n_stage_ids = c->n_stage_ids;
	view.what = c->what;
	view.why = c->why;
	view.expected_gain = c->expected_gain;
	view.confidence = c->confidence;
	view.attended_ids = c->attended_ids;
	view.n_attended_ids = c->n_attended_ids;
	view.field = c->field;
	view.old_value = c->old_value;
	view.new_value = c->new_value;
	view.old_label = c->old_label;
	view.new_label = c->new_label;
	return gdfo__abi_out(out, &view, GDFO__ABI_CHANGE, fn);
}

int gdfo_plan_prediction(gdfo_prediction *out, const gdfo_plan *p)
{
	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_prediction: %s is NULL", p ? "out" : "plan");
	return gdfo__abi_out(out, &p->prediction, GDFO__ABI_PREDICTION, "gdfo_plan_prediction");
}

int gdfo_plan_risk(const gdfo_plan *p)
{
	return p ? p->risk : GDFO_RISK_LOW;
}

/* ---- explain ---------------------------------------------------------------- */

static int put_ids(gdfo__buf *b, const int64_t *ids, size_t n)
{
	size_t i;
	int rc = 0;
	for (i = 0; i < n && !rc; i++)
		rc = gdfo__buf_printf(b, "%s%lld", i ? ", " : "", (long long)ids[i]);
	return rc;
}

static int put_vs(gdfo__buf *b, const char *label, double v, double base, const char *unit)
{
	if (v < 0 && base < 0)
		return gdfo__buf_printf(b, "  %-11s unknown (no cost model gave a prediction)\n", label);
	if (v < 0)
		return gdfo__buf_printf(b, "  %-11s unknown; input pipeline %.6g%s\n", label, base, unit);
	if (base < 0)
		return gdfo__buf_printf(b, "  %-11s %.6g%s; input pipeline unknown\n", label, v, unit);
	if (base > 0)
		return gdfo__buf_printf(b, "  %-11s %.6g%s vs %.6g%s for the input pipeline (%+.1f %%)\n", label, v,
					unit, base, unit, 100.0 * (v - base) / base);
	return gdfo__buf_printf(b, "  %-11s %.6g%s vs %.6g%s for the input pipeline\n", label, v, unit, base,
				unit);
}

int gdfo_plan_explain(char **out, const gdfo_plan *p)
{
	gdfo__buf b = {0};
	size_t i;
	int rc = 0;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_explain: out is NULL");
	*out = NULL;
	if (!p)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_explain: plan is NULL");
	rc = gdfo__buf_printf(&b, "plan for pipeline '%s' by the %s optimizer: %zu change%s, risk %s%s\n",
			      gdfo_graph_name(p->graph), p->source, p->n_changes, p->n_changes == 1 ? "" : "s",
			      gdfo_risk_name(p->risk),
			      p->risk == GDFO_RISK_HIGH ? " (needs approval)" : "");
	if (!rc)
		rc = gdfo__buf_puts(&b, "prediction:\n");
	if (!rc)
		rc = put_vs(&b, "latency", p->prediction.latency_ms, p->prediction.baseline_latency_ms, " ms");
	if (!rc)
		rc = put_vs(&b, "cost", p->prediction.cost, p->prediction.baseline_cost, "");
	if (!rc)
		rc = p->prediction.throughput < 0
			     ? gdfo__buf_puts(&b, "  throughput  unknown\n")
			     : gdfo__buf_printf(&b, "  throughput  %.6g records/s\n", p->prediction.throughput);
	/* the uncalibrated account stays as it was; a calibrated one says what was fitted */
	if (!rc && p->prediction.calibrated == 1) {
		rc = put_vs(&b, "execution", p->prediction.execution_ms, p->prediction.baseline_execution_ms, " ms");
		if (!rc)
			rc = gdfo__buf_printf(&b, "  calibrated  to telemetry: %d input stages at measured task times; fixed overhead %.6g ms",
					      p->prediction.baseline_stages_calibrated, p->prediction.overhead_ms);
		if (!rc)
			rc = p->prediction.measured_latency_ms >= 0
				     ? gdfo__buf_printf(&b, " fitted to the measured %.6g ms\n", p->prediction.measured_latency_ms)
				     : gdfo__buf_puts(&b, " (the model's start-up: no latency was measured)\n");
	}
	if (!rc && !p->n_changes)
		rc = gdfo__buf_puts(&b, "no changes: the input pipeline is kept as it is\n");
	for (i = 0; i < p->n_changes && !rc; i++) {
		const gdfo__change *c = &p->changes[i];
		rc = gdfo__buf_printf(&b, "\n%zu. [%s] %s\n   why: %s\n   expected gain: %.1f %%, confidence %.2f\n",
				      i + 1, gdfo_change_kind_name(c->kind), c->what, c->why,
				      100.0 * c->expected_gain, c->confidence);
		if (!rc && c->n_stage_ids) {
			rc = gdfo__buf_puts(&b, "   stages: ");
			if (!rc)
				rc = put_ids(&b, c->stage_ids, c->n_stage_ids);
			if (!rc)
				rc = gdfo__buf_puts(&b, "\n");
		}
		if (!rc && c->n_attended_ids) {
			rc = gdfo__buf_puts(&b, "   decided from: ");
			if (!rc)
				rc = put_ids(&b, c->attended_ids, c->n_attended_ids);
			if (!rc)
				rc = gdfo__buf_puts(&b, "\n");
		}
	}
	if (!rc && p->n_rejected)
		rc = gdfo__buf_printf(&b, "\nconsidered and rejected (%zu):\n", p->n_rejected);
	for (i = 0; i < p->n_rejected && !rc; i++) {
		const gdfo__change *c = &p->rejected[i];
		rc = gdfo__buf_printf(&b, "- [%s] %s\n   why considered and rejected: %s\n   predicted effect: %.1f %%\n",
				      gdfo_change_kind_name(c->kind), c->what, c->why, 100.0 * c->expected_gain);
	}
	if (!rc && p->n_notes)
		rc = gdfo__buf_puts(&b, "\nnotes:\n");
	for (i = 0; i < p->n_notes && !rc; i++)
		rc = gdfo__buf_printf(&b, "- %s\n", p->notes[i]);
	if (rc) {
		gdfo__buf_free(&b);
		return rc;
	}
	return gdfo__buf_detach(&b, out);
}

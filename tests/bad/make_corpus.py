#!/usr/bin/env python3
"""Writes the malformed-input corpus under tests/bad/.

Every file this script writes must be rejected by the reader its directory
names, with a one-line error and a non-zero status, through the C API
(tests/c/test_bad_input.c), the CLI (tests/python/test_bad_input.py) and the
Python and Java bindings. The files are committed; rerun this script after
changing it (`python3 tests/bad/make_corpus.py`) and commit the result. It is
deterministic: the same script writes the same bytes.

Directories:
  pipeline/   gdfo-pipeline/1 documents   (gdfo_graph_load, gdfo inspect/optimize)
  telemetry/  gdfo-telemetry/1 documents  (gdfo_telemetry_load)
  plan/       gdfo-plan/1 documents       (gdfo_plan_load)
  profile/    gdfo-job-profile/1 documents (gdfo_profile_load)
  eventlog/   Spark event logs with no completed stage: garbage, empty, cut
              short, or corrupt compression. The reader may accept them (it
              counts malformed lines and tolerates truncation), but building a
              pipeline or profile from them must fail (gdfo ingest --pipeline)
  good/       the valid documents the JSON cases are mutations of; the tests
              check that these load, so a bad file fails for its own reason
"""
import gzip
import json
import os
import random
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(sub, name, data):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def garbage(seed, n):
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def dumps(doc):
    return json.dumps(doc) + "\n"


def R(text, old, new):
    """text with the first old replaced by new; old must occur (no silent no-op)."""
    if old not in text:
        raise AssertionError("corpus generator: %r not found" % old)
    return text.replace(old, new, 1)


# ---------------------------------------------------------------- pipelines


def stage(i, name, op, parents=(), **extra):
    s = {"id": i, "name": name, "op": op, "parents": list(parents),
         "stats": {"rows_in": 1000, "bytes_in": 100000, "selectivity": 1, "cpu_ns_per_row": 50}}
    s.update(extra)
    return s


def pipeline(stages=None, **top):
    doc = {"format": "gdfo-pipeline/1", "name": "bad"}
    doc.update(top)
    if stages is None:
        stages = [stage(0, "orders", "source"),
                  stage(1, "recent", "filter", [0], columns_read=["ts"]),
                  stage(2, "write", "sink", [1])]
    doc["stages"] = stages
    return doc


GOOD_PIPELINE = dumps(pipeline())

# Syntax-level garbage shared by every JSON reader.
def json_garbage(sub, good, tag):
    write(sub, "empty.json", b"")
    write(sub, "whitespace_only.json", " \n\t\n")
    write(sub, "not_json.json", "this is not JSON, it is a sentence.\n")
    write(sub, "truncated.json", good[: len(good) * 2 // 3])
    write(sub, "truncated_in_string.json", good[: good.index('"', good.index(tag) + 2) + 3])
    write(sub, "deep_nesting_arrays.json", "[" * 100000)
    write(sub, "deep_nesting_arrays_closed.json", "[" * 100000 + "]" * 100000)
    write(sub, "deep_nesting_objects.json", '{"a":' * 50000 + "1" + "}" * 50000)
    write(sub, "binary_garbage.json", garbage(sub + "-bin", 4096))
    write(sub, "nul_in_middle.json", good[:20].encode() + b"\x00" + good[20:].encode())
    write(sub, "invalid_utf8.json", R(good, '"bad"', '"b\udcffad"').encode("utf-8", "surrogateescape")
          if '"bad"' in good else b'{"format": "\xff\xfe"}')
    write(sub, "top_level_array.json", "[" + good + "]")
    write(sub, "top_level_string.json", json.dumps(tag) + "\n")
    write(sub, "top_level_null.json", "null\n")
    write(sub, "trailing_garbage.json", good + "}{ more\n")
    write(sub, "two_documents.json", good + good)
    write(sub, "nan_literal.json", '{"format": "%s", "x": NaN}\n' % tag)
    write(sub, "infinity_literal.json", '{"format": "%s", "x": Infinity}\n' % tag)
    write(sub, "single_quotes.json", "{'format': '%s'}\n" % tag)
    write(sub, "comment.json", '// comment\n{"format": "%s"}\n' % tag)
    write(sub, "no_format.json", R(good, '"format": "%s",' % tag, ""))
    write(sub, "format_not_string.json", R(good, '"%s"' % tag, "1"))
    fam = tag.rsplit("/", 1)[0]
    other = "gdfo-telemetry/1" if fam != "gdfo-telemetry" else "gdfo-pipeline/1"
    write(sub, "wrong_format_tag.json", R(good, tag, other))
    write(sub, "wrong_format_family.json", R(good, tag, "spark-event-log/1"))
    write(sub, "wrong_version.json", R(good, tag, fam + "/2"))
    write(sub, "version_zero.json", R(good, tag, fam + "/0"))
    write(sub, "duplicate_format_key.json", R(good, '"format": "%s",' % tag,
                                                         '"format": "%s", "format": "%s",' % (tag, tag)))
    write(sub, "wide_object.json",
          '{"format": "%s", ' % tag + ", ".join('"k%d": 0' % i for i in range(100000)) + "}\n")


def pipelines():
    sub = "pipeline"
    write("good", "pipeline.json", GOOD_PIPELINE)
    json_garbage(sub, GOOD_PIPELINE, "gdfo-pipeline/1")
    P = lambda name, doc: write(sub, name, dumps(doc) if not isinstance(doc, str) else doc)

    def mutate(fn):
        d = pipeline()
        fn(d)
        return d

    def set_stat(k, v):
        return lambda d: d["stages"][0]["stats"].__setitem__(k, v)

    # Numbers that are not finite doubles or not exact integers.
    P("huge_number_1e999.json", R(GOOD_PIPELINE, '"rows_in": 1000', '"rows_in": 1e999'))
    P("huge_number_1e308x10.json", R(GOOD_PIPELINE, '"rows_in": 1000', '"rows_in": 10e308'))
    P("negative_huge_number.json", R(GOOD_PIPELINE, '"bytes_in": 100000', '"bytes_in": -1e999'))
    P("nan_stat.json", R(GOOD_PIPELINE, '"rows_in": 1000', '"rows_in": NaN'))
    P("infinity_stat.json", R(GOOD_PIPELINE, '"rows_in": 1000', '"rows_in": Infinity'))
    P("negative_infinity_stat.json", R(GOOD_PIPELINE, '"rows_in": 1000', '"rows_in": -Infinity'))
    P("huge_integer_id.json", R(GOOD_PIPELINE, '"id": 2', '"id": 123456789012345678901234567890'))
    P("id_above_2_53.json", R(GOOD_PIPELINE, '"id": 2', '"id": 9007199254740993'))
    P("fractional_id.json", R(GOOD_PIPELINE, '"id": 2', '"id": 2.5'))
    # found by fuzz_pipeline: a parent id too large for int64_t (UB when cast before the range check)
    P("parent_1e999.json", R(GOOD_PIPELINE, '"parents": [1]', '"parents": [91e991]'))
    P("parent_1e300.json", R(GOOD_PIPELINE, '"parents": [1]', '"parents": [1e300]'))
    P("negative_id.json", R(GOOD_PIPELINE, '"id": 2', '"id": -2'))
    P("huge_partitions.json", mutate(lambda d: d["stages"][0].__setitem__("knobs", {"partitions": 1e300})))
    P("partitions_out_of_range.json", mutate(lambda d: d["stages"][0].__setitem__("knobs", {"partitions": 2000000})))
    P("negative_partitions.json", mutate(lambda d: d["stages"][0].__setitem__("knobs", {"partitions": -4})))
    P("negative_stat.json", mutate(set_stat("rows_in", -5)))
    P("skew_below_one.json", mutate(set_stat("skew", 0.5)))
    P("tiny_target_file.json", mutate(lambda d: d["stages"][2].__setitem__("knobs", {"target_file_bytes": 1000})))
    P("executors_out_of_range.json", pipeline(knobs={"executors": 1000000000}))
    P("negative_price.json", pipeline(cluster={"price_per_executor_s": -1}))

    # Wrong types.
    P("stages_not_array.json", pipeline(stages={"0": stage(0, "orders", "source")}))
    P("stages_missing.json", '{"format": "gdfo-pipeline/1", "name": "bad"}\n')
    P("stage_not_object.json", pipeline(stages=[stage(0, "orders", "source"), 17]))
    P("id_is_string.json", mutate(lambda d: d["stages"][1].__setitem__("id", "one")))
    P("id_is_bool.json", mutate(lambda d: d["stages"][1].__setitem__("id", True)))
    P("id_missing.json", mutate(lambda d: d["stages"][1].pop("id")))
    P("name_is_number.json", mutate(lambda d: d["stages"][1].__setitem__("name", 42)))
    P("name_empty.json", mutate(lambda d: d["stages"][1].__setitem__("name", "")))
    P("name_too_long.json", mutate(lambda d: d["stages"][1].__setitem__("name", "n" * 300)))
    P("pipeline_name_is_array.json", pipeline(name=["a"]))
    P("op_unknown.json", mutate(lambda d: d["stages"][1].__setitem__("op", "teleport")))
    P("op_is_number.json", mutate(lambda d: d["stages"][1].__setitem__("op", 1)))
    P("stats_is_array.json", mutate(lambda d: d["stages"][1].__setitem__("stats", [1, 2])))
    P("stat_is_string.json", mutate(set_stat("rows_in", "1000")))
    P("stat_is_null_object.json", mutate(set_stat("rows_in", {})))
    P("parents_not_array.json", mutate(lambda d: d["stages"][1].__setitem__("parents", 0)))
    P("parent_is_string.json", mutate(lambda d: d["stages"][1].__setitem__("parents", ["orders"])))
    P("columns_not_strings.json", mutate(lambda d: d["stages"][1].__setitem__("columns_read", [1, 2])))
    P("column_empty.json", mutate(lambda d: d["stages"][1].__setitem__("columns_read", [""])))
    P("join_strategy_unknown.json", pipeline(stages=[
        stage(0, "a", "source"), stage(1, "b", "source"),
        stage(2, "j", "join", [0, 1], join_type="inner", knobs={"join_strategy": "telepathy"})]))
    P("join_type_unknown.json", pipeline(stages=[
        stage(0, "a", "source"), stage(1, "b", "source"), stage(2, "j", "join", [0, 1], join_type="sideways")]))
    P("unknown_stat_key.json", mutate(set_stat("rows_inn", 5)))

    # Structure.
    P("duplicate_keys.json", R(GOOD_PIPELINE, '"name": "recent",', '"name": "recent", "name": "old",'))
    P("duplicate_stats_key.json", R(GOOD_PIPELINE, '"rows_in": 1000,', '"rows_in": 1000, "rows_in": 2000,'))
    P("duplicate_stage_id.json", mutate(lambda d: d["stages"][1].__setitem__("id", 0)))
    P("empty_stages.json", pipeline(stages=[]))
    P("cycle.json", pipeline(stages=[
        stage(0, "a", "source"), stage(1, "b", "filter", [0, 3]), stage(2, "c", "project", [1]),
        stage(3, "d", "project", [2])]))
    P("cycle_two_stages.json", pipeline(stages=[
        stage(1, "b", "project", [2]), stage(2, "c", "project", [1])]))
    P("self_parent.json", mutate(lambda d: d["stages"][1].__setitem__("parents", [1])))
    P("missing_parent.json", mutate(lambda d: d["stages"][1].__setitem__("parents", [12])))
    P("duplicate_parent.json", mutate(lambda d: d["stages"][1].__setitem__("parents", [0, 0])))
    P("join_one_parent.json", pipeline(stages=[
        stage(0, "a", "source"), stage(1, "j", "join", [0], join_type="inner")]))
    P("source_with_parent.json", pipeline(stages=[
        stage(0, "a", "source"), stage(1, "b", "source", [0])]))


# ---------------------------------------------------------------- telemetry


def telemetries():
    sub = "telemetry"
    good = dumps({"format": "gdfo-telemetry/1",
                  "run": {"success": True, "latency_ms": 1200, "records": 1000, "throughput": 833, "cost": 0.5},
                  "stages": [{"stage_id": 0, "duration_ms": 500, "tasks": 8, "task_ms_median": 50,
                              "task_ms_max": 90}]})
    write("good", "telemetry.json", good)
    json_garbage(sub, good, "gdfo-telemetry/1")
    write(sub, "nan_duration.json", R(good, '"duration_ms": 500', '"duration_ms": NaN'))
    write(sub, "huge_duration.json", R(good, '"duration_ms": 500', '"duration_ms": 1e999'))
    write(sub, "negative_duration.json", R(good, '"duration_ms": 500', '"duration_ms": -3'))
    write(sub, "duration_is_string.json", R(good, '"duration_ms": 500', '"duration_ms": "500"'))
    write(sub, "stage_id_negative.json", R(good, '"stage_id": 0', '"stage_id": -1'))
    write(sub, "stage_id_fractional.json", R(good, '"stage_id": 0', '"stage_id": 0.5'))
    write(sub, "stage_id_string.json", R(good, '"stage_id": 0', '"stage_id": "s0"'))
    d = json.loads(good)
    write(sub, "stages_is_object.json", dumps(dict(d, stages={"x": d["stages"][0]})))
    write(sub, "run_is_array.json", dumps(dict(d, run=[d["run"]])))
    write(sub, "duplicate_keys.json", R(good, '"tasks": 8,', '"tasks": 8, "tasks": 9,'))


# --------------------------------------------------------------------- plan


def plans():
    sub = "plan"
    good = dumps({"format": "gdfo-plan/1", "source": "rules", "risk": "low",
                  "pipeline": pipeline(),
                  "prediction": {"latency_ms": 1000, "throughput": 10, "cost": 1,
                                 "baseline_latency_ms": 1200, "baseline_cost": 1.2},
                  "changes": [{"kind": "partitions", "stage_ids": [1], "what": "stage 1 'recent' gets 8 partitions",
                               "why": "100 kB at 128 MB per partition", "expected_gain": 0.1,
                               "confidence": 0.5, "attended_ids": [1]}]})
    write("good", "plan.json", good)
    json_garbage(sub, good, "gdfo-plan/1")
    write(sub, "pipeline_not_object.json", dumps({"format": "gdfo-plan/1", "source": "rules", "risk": "low", "pipeline": [1, 2]}))
    write(sub, "pipeline_is_telemetry.json", R(good, '"gdfo-pipeline/1"', '"gdfo-telemetry/1"'))
    write(sub, "pipeline_cycle.json", dumps({"format": "gdfo-plan/1", "source": "rules", "risk": "low", "pipeline": pipeline(stages=[
        stage(1, "b", "project", [2]), stage(2, "c", "project", [1])])}))
    write(sub, "change_kind_unknown.json", R(good, '"kind": "partitions"', '"kind": "magic"'))
    write(sub, "change_kind_number.json", R(good, '"kind": "partitions"', '"kind": 4.5'))
    write(sub, "confidence_nan.json", R(good, '"confidence": 0.5', '"confidence": NaN'))
    write(sub, "confidence_above_one.json", R(good, '"confidence": 0.5', '"confidence": 7'))
    write(sub, "gain_huge.json", R(good, '"expected_gain": 0.1', '"expected_gain": 1e999'))
    write(sub, "latency_negative.json", R(good, '"latency_ms": 1000', '"latency_ms": -5'))
    write(sub, "risk_unknown.json", R(good, '"risk": "low"', '"risk": "apocalyptic"'))
    write(sub, "what_too_long.json", R(good, "stage 1 'recent' gets 8 partitions", "w" * 5000))
    write(sub, "stage_ids_strings.json", R(good, '"stage_ids": [1]', '"stage_ids": ["one"]'))
    # a change's values (after 0.2): field, old, new, old_label, new_label
    write(sub, "change_field_empty.json", R(good, '"attended_ids": [1]', '"attended_ids": [1], "field": ""'))
    write(sub, "change_old_string.json", R(good, '"attended_ids": [1]', '"attended_ids": [1], "field": "partitions", "old": "eight"'))
    write(sub, "change_new_huge.json", R(good, '"attended_ids": [1]', '"attended_ids": [1], "field": "partitions", "new": 1e999'))
    write(sub, "change_label_number.json", R(good, '"attended_ids": [1]', '"attended_ids": [1], "new_label": 8'))
    d = json.loads(good)
    write(sub, "changes_not_array.json", dumps(dict(d, changes={"c": d["changes"][0]})))


# ------------------------------------------------------------------ profile


def profiles():
    sub = "profile"

    def prof(stages=None, **top):
        d = {"format": "gdfo-job-profile/1", "name": "bad", "time_unit": "ms",
             "executors": 8, "cores_per_executor": 4}
        d.update(top)
        d["stages"] = stages if stages is not None else [
            {"id": 0, "parents": [], "num_tasks": 3, "task_ms": [812, 790, 1203]},
            {"id": 1, "parents": [0], "num_tasks": 2, "task_ms": [100, 120],
             "task_ms_by_executors": {"2": [400, 410], "10": [90, 95]}}]
        return d

    good = dumps(prof())
    write("good", "profile.json", good)
    json_garbage(sub, good, "gdfo-job-profile/1")
    P = lambda name, doc: write(sub, name, dumps(doc) if not isinstance(doc, str) else doc)

    def st(i, parents=(), **kw):
        s = {"id": i, "parents": list(parents), "num_tasks": 1, "task_ms": [10]}
        s.update(kw)
        return s

    # Ids.
    P("id_negative.json", prof([st(-1)]))
    P("id_fractional.json", prof([st(0), st(1.5, [0])]))
    P("id_string.json", prof([st("stage-0")]))
    P("id_missing.json", prof([{"parents": [], "num_tasks": 1, "task_ms": [1]}]))
    P("id_huge.json", R(good, '"id": 1', '"id": 1e30'))
    P("id_above_2_53.json", R(good, '"id": 1', '"id": 9007199254740993'))
    P("id_duplicate.json", prof([st(0), st(0)]))
    P("parent_unknown.json", prof([st(0), st(1, [7])]))
    P("parent_self.json", prof([st(0, [0])]))
    P("parent_cycle.json", prof([st(0, [1]), st(1, [0])]))
    P("parent_repeated.json", prof([st(0), st(1, [0, 0])]))
    P("parent_string.json", prof([st(0), st(1, ["0"])]))
    P("parents_not_array.json", prof([st(0), dict(st(1), parents=0)]))
    # Measurements.
    P("task_ms_nan.json", R(good, "812", "NaN"))
    P("task_ms_huge.json", R(good, "812", "1e999"))
    P("task_ms_negative.json", R(good, "812", "-812"))
    P("task_ms_string.json", R(good, "812", '"812"'))
    P("no_measurements.json", prof([{"id": 0, "parents": [], "num_tasks": 3}]))
    P("by_executors_bad_key.json", R(good, '"2": [', '"two": ['))
    P("by_executors_zero.json", R(good, '"2": [', '"0": ['))
    P("by_executors_not_object.json", prof([st(0, task_ms_by_executors=[[2, [1, 2]]])]))
    P("num_tasks_negative.json", prof([st(0, num_tasks=-1)]))
    P("num_tasks_fractional.json", prof([st(0, num_tasks=2.5)]))
    P("bytes_negative.json", prof([st(0, input_bytes=-1)]))
    P("bytes_fractional.json", prof([st(0, shuffle_read_bytes=0.5)]))
    # Top level.
    P("time_unit_seconds.json", prof(time_unit="s"))
    P("executors_zero.json", prof(executors=0))
    P("cores_huge.json", prof(cores_per_executor=1e308))
    P("stages_not_array.json", prof(stages={"0": st(0)}))


# ----------------------------------------------------------------- eventlog


def eventlogs():
    sub = "eventlog"
    write(sub, "empty", b"")
    write(sub, "binary_garbage", garbage("eventlog-bin", 8192))
    write(sub, "text_not_json", "".join("line %d of a log4j file, not an event\n" % i for i in range(50)))
    write(sub, "json_not_events", "".join(json.dumps({"x": i, "y": [i, i]}) + "\n" for i in range(50)))
    write(sub, "pipeline_json_not_log", GOOD_PIPELINE)
    write(sub, "not_gz.gz", "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}\n")
    write(sub, "not_zstd.zstd", "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}\n")
    write(sub, "garbage.gz", b"\x1f\x8b\x08\x00" + garbage("eventlog-gz", 2048))
    write(sub, "garbage.zstd", b"\x28\xb5\x2f\xfd" + garbage("eventlog-zstd", 2048))
    # A real gzip stream of non-events, and one of events cut inside the header.
    body = "".join(json.dumps({"Event": "NotASparkEvent", "n": i}) + "\n" for i in range(20)).encode()
    write(sub, "gz_of_garbage.gz", gzip.compress(b"\x00\x01garbage\xff" * 200, mtime=0))
    write(sub, "gz_header_only.gz", gzip.compress(body, mtime=0)[:6])
    write(sub, "zlib_not_gzip.gz", zlib.compress(body))
    # A real Spark 1.5 log (dr-elephant event_log_1, Apache-2.0) cut inside the
    # line before its only StageCompleted: events, tasks, but no completed stage.
    real = os.path.join(HERE, "..", "..", "..", "shared", "data", "spark-events", "dr-elephant",
                        "event_log_1")
    if os.path.exists(real):
        with open(real, "rb") as f:
            lines = f.read().split(b"\n")
        cut = next(i for i, l in enumerate(lines) if b"SparkListenerStageCompleted" in l)
        text = b"\n".join(lines[:cut - 1]) + b"\n" + lines[cut - 1][: len(lines[cut - 1]) // 2]
        write(sub, "truncated_before_stage_end", text)
        write(sub, "truncated_before_stage_end.gz", gzip.compress(text, mtime=0))
        full = gzip.compress(b"\n".join(lines[:cut]), mtime=0)
        write(sub, "truncated_stream.gz", full[: len(full) * 2 // 3])


def main():
    pipelines()
    telemetries()
    plans()
    profiles()
    eventlogs()
    n = sum(len(files) for _, _, files in os.walk(HERE)) - 1
    print("tests/bad: %d files" % n)


if __name__ == "__main__":
    main()

"""The Python binding (bindings/python/gdfo): loader, graphs, telemetry,
plans, the rule-based optimizer, profiles, errors and handle lifetimes."""
import json
import os
import subprocess
import sys
import threading

import pytest

from conftest import BAD, RETAIL, ROOT

import gdfo


# ------------------------------------------------------------------ loader


def test_version_matches_header():
    with open(os.path.join(ROOT, "include", "gdfo", "version.h")) as f:
        text = f.read()
    want = tuple(int(text.split("#define GDFO_VERSION_%s " % k)[1].split()[0])
                 for k in ("MAJOR", "MINOR", "PATCH"))
    assert gdfo.version() == want
    assert gdfo.version_string() == "%d.%d.%d" % want
    assert gdfo.__version__.split(".")[0] == str(want[0])


def test_library_path_honours_env():
    env = os.environ.get("GDFO_LIBRARY")
    if env:
        assert gdfo.library_path == env
    assert os.path.exists(gdfo.library_path) or gdfo.library_path.startswith("libgdfo")


def _import_with(library):
    env = dict(os.environ, GDFO_LIBRARY=library)
    return subprocess.run([sys.executable, "-c", "import gdfo"], env=env, capture_output=True,
                          text=True, timeout=60)


def test_bad_library_path_is_a_clear_import_error(tmp_path):
    r = _import_with(str(tmp_path / "no-such-libgdfo.so"))
    assert r.returncode != 0
    assert "LibraryNotFound" in r.stderr and "no-such-libgdfo.so" in r.stderr


def test_not_a_library_is_a_clear_import_error(tmp_path):
    fake = tmp_path / "libgdfo.so"
    fake.write_bytes(b"not an ELF file")
    r = _import_with(str(fake))
    assert r.returncode != 0
    assert "LibraryNotFound" in r.stderr and "cannot be loaded" in r.stderr


def test_missing_symbol_raises_unsupported():
    stub = gdfo._lib._missing("gdfo_not_a_function")
    with pytest.raises(gdfo.GdfoError) as e:
        stub(1, 2)
    assert e.value.status == gdfo.EUNSUPPORTED
    assert "gdfo_not_a_function" in str(e.value)


def test_every_declared_function_is_exported():
    """The library this suite runs against has every function the binding declares."""
    import ctypes
    missing = [name for name, fn in vars(gdfo._lib).items()
               if callable(fn) and getattr(fn, "available", True) is False]
    assert missing == []
    assert isinstance(gdfo._lib.lib, ctypes.CDLL)


# ------------------------------------------------------------------ errors


def test_error_carries_status_and_last_error():
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Graph.from_json('{"format": "gdfo-pipeline/1", "stages": [}')
    err = e.value
    assert err.status == gdfo.EFORMAT
    assert err.status_name == "GDFO_EFORMAT"
    assert str(err) == err.message == gdfo.last_error()
    assert "\n" not in str(err) and "line 1" in str(err)
    assert "GDFO_EFORMAT" in repr(err)


def test_status_names():
    assert gdfo.status_name(gdfo.ECYCLE) == "GDFO_ECYCLE"
    assert gdfo.status_name(12345) == "GDFO_UNKNOWN"


def test_type_errors_before_the_library():
    with pytest.raises(TypeError):
        gdfo.Graph.from_json(12)
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Graph.load("bad\0path.json")
    assert e.value.status == gdfo.EINVAL


def test_missing_file_is_eio(tmp_path):
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Graph.load(tmp_path / "nope.json")
    assert e.value.status == gdfo.EIO
    assert "nope.json" in str(e.value)


# ------------------------------------------------------------------ graphs


def test_retail_graph_from_json(retail_json):
    doc = json.loads(retail_json)
    with gdfo.Graph.from_json(retail_json) as g:
        assert g.name == doc["name"]
        assert len(g) == len(doc["stages"])
        g.validate()
        stages = {s.id: s for s in g.stages()}
        for want in doc["stages"]:
            s = stages[want["id"]]
            assert s.name == want["name"]
            assert s.op == want["op"]
            assert s.parents == want["parents"]
            assert s.stats.rows_in == want["stats"]["rows_in"]
            assert s.knobs.partitions == want["knobs"]["partitions"]
            assert s.columns_read == want.get("columns_read", [])
            assert s.columns_written == want.get("columns_written", [])
            if want["op"] == "join":
                assert s.join_type == want["join_type"]
                assert s.knobs.join_strategy == want["knobs"]["join_strategy"]
            for p in s.parents:
                assert s.id in stages[p].children
        assert g.knobs.executors == doc["knobs"]["executors"]
        assert g.knobs.memory_per_executor_bytes == doc["knobs"]["memory_per_executor_bytes"]
        assert g.cluster.price_per_executor_s == doc["cluster"]["price_per_executor_s"]
        assert g.stage(5).name == "join_customers"
        with pytest.raises(gdfo.GdfoError) as e:
            g.stage(999)
        assert e.value.status == gdfo.ENOTFOUND


def test_topo_order_puts_parents_first():
    with gdfo.Graph.load(RETAIL) as g:
        order = g.topo_order()
        stages = g.stages()
        assert sorted(order) == sorted(s.id for s in stages)
        pos = {sid: i for i, sid in enumerate(order)}
        for s in stages:
            for p in s.parents:
                assert pos[p] < pos[s.id]


def test_json_round_trip_is_exact(retail_json):
    with gdfo.Graph.from_json(retail_json) as g:
        text = g.to_json()
        assert isinstance(text, str)
        with gdfo.Graph.from_json(text.encode()) as g2:
            assert g2.to_json() == text
            assert g2.fingerprint() == g.fingerprint()


def test_save_and_load(tmp_path):
    with gdfo.Graph.load(RETAIL) as g:
        g.save(tmp_path / "copy.json")
        with gdfo.Graph.load(str(tmp_path / "copy.json")) as g2:
            assert g2.to_json() == g.to_json()


def test_fingerprint_ignores_statistics_but_not_shape():
    with gdfo.Graph.load(RETAIL) as g, g.clone() as h:
        fp = g.fingerprint()
        assert isinstance(fp, int) and 0 <= fp < 2 ** 64
        s = h.stage(0)
        s.stats.rows_in *= 3
        s.knobs.partitions = 999
        h.update_stage(s)
        assert h.stage(0).stats.rows_in == 3 * g.stage(0).stats.rows_in
        assert h.fingerprint() == fp
        s.name = "orders_v2"
        h.update_stage(s)
        assert h.fingerprint() != fp


def _stage(i, name, op, **kw):
    return gdfo.Stage(id=i, name=name, op=op, **kw)


def test_build_a_graph_and_its_errors():
    with gdfo.Graph("built") as g:
        g.add_stage(_stage(1, "orders", "source", columns_written=["id", "ts"]))
        g.add_stage(_stage(2, "recent", "filter", columns_read=["ts"],
                           stats=gdfo.StageStats(rows_in=100, selectivity=0.5)))
        g.add_stage(_stage(3, "write", "sink"))
        g.add_edge(1, 2)
        g.add_edge(2, 3)
        g.validate()
        assert g.topo_order() == [1, 2, 3]
        assert g.stage(2).columns_read == ["ts"]
        with pytest.raises(gdfo.GdfoError) as e:
            g.add_edge(3, 1)
        assert e.value.status == gdfo.ECYCLE and "cycle" in str(e.value)
        with pytest.raises(gdfo.GdfoError) as e:
            g.add_edge(12, 2)
        assert e.value.status == gdfo.ENOTFOUND
        assert str(e.value) == "stage 2 'recent' lists parent 12, which does not exist"
        with pytest.raises(gdfo.GdfoError) as e:
            g.add_stage(_stage(1, "again", "source"))
        assert e.value.status == gdfo.EEXISTS
        with pytest.raises(gdfo.GdfoError) as e:
            g.add_stage(_stage(4, "neg", "filter", stats=gdfo.StageStats(rows_in=-1)))
        assert e.value.status == gdfo.EINVAL and "rows_in" in str(e.value)
        with pytest.raises(ValueError):
            g.add_stage(_stage(5, "x", "teleport"))
        g.knobs = gdfo.GraphKnobs(executors=4, cores_per_executor=2,
                                  memory_per_executor_bytes=1 << 30)
        assert g.knobs.executors == 4
        with pytest.raises(gdfo.GdfoError) as e:
            g.knobs = gdfo.GraphKnobs(executors=-3)
        assert e.value.status == gdfo.EINVAL
        assert g.knobs.executors == 4
        g.cluster = gdfo.Cluster(executors_available=16, price_per_executor_s=0.001, slo_ms=6e4)
        assert g.cluster.slo_ms == 6e4
        with gdfo.Graph.from_json(g.to_json()) as g2:
            assert [s.name for s in g2.stages()] == ["orders", "recent", "write"]


def test_validate_names_the_stage():
    with gdfo.Graph("joins") as g:
        g.add_stage(_stage(1, "a", "source"))
        g.add_stage(_stage(2, "lonely_join", "join", join_type="inner"))
        g.add_edge(1, 2)
        with pytest.raises(gdfo.GdfoError) as e:
            g.validate()
        assert e.value.status == gdfo.EINVAL and "lonely_join" in str(e.value)


def test_non_utf8_text_is_refused_or_replaced():
    with pytest.raises(gdfo.GdfoError):
        gdfo.Graph.from_json(b"\xff\xfe\x00garbage")


# --------------------------------------------------------- handle lifetime


def test_close_is_idempotent_and_use_after_close_raises():
    g = gdfo.Graph.load(RETAIL)
    assert not g.closed
    g.close()
    g.close()
    assert g.closed
    assert "closed" in repr(g)
    with pytest.raises(gdfo.GdfoError) as e:
        g.to_json()
    assert e.value.status == gdfo.EINVAL and "closed" in str(e.value)


def test_context_manager_closes():
    with gdfo.Graph.load(RETAIL) as g:
        pass
    assert g.closed


def test_concurrent_close_is_safe():
    """Readers on several threads while another thread closes: each call
    either completes or raises 'closed'; nothing crashes."""
    for _ in range(20):
        g = gdfo.Graph.load(RETAIL)
        errors, done = [], []

        def reader():
            try:
                for _ in range(50):
                    g.to_json()
                    g.fingerprint()
                    g.stages()
                done.append(1)
            except gdfo.GdfoError as e:
                if "closed" not in str(e):
                    errors.append(e)

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        g.close()
        for t in threads:
            t.join()
        assert errors == []
        assert g.closed


def test_errors_are_per_thread():
    """A failure on one thread does not overwrite another thread's message."""
    msgs = {}

    def fail(key, text):
        try:
            gdfo.Graph.from_json(text)
        except gdfo.GdfoError as e:
            msgs[key] = (str(e), gdfo.last_error())

    threads = [threading.Thread(target=fail, args=(i, "[" * (i + 1))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(msgs) == 8
    for exc_text, last in msgs.values():
        assert exc_text == last


# --------------------------------------------------------------- telemetry


TELEMETRY = os.path.join(BAD, "good", "telemetry.json")


def test_telemetry_round_trip():
    with gdfo.Telemetry.load(TELEMETRY) as t:
        assert len(t) == 1
        st = t.stage(0)
        assert st.duration_ms == 500 and st.tasks == 8
        assert st.cpu_ms is None    # not measured
        run = t.run
        assert run.success is True and run.latency_ms == 1200
        text = t.to_json()
        with gdfo.Telemetry.from_json(text) as t2:
            assert t2.to_json() == text


def test_telemetry_build():
    with gdfo.Telemetry() as t:
        assert t.run.latency_ms is None
        t.run = gdfo.RunTelemetry(success=False, latency_ms=10.0, cost=0.25)
        t.set_stage(gdfo.StageTelemetry(stage_id=7, duration_ms=3.5, failures=2))
        t.set_stage(gdfo.StageTelemetry(stage_id=7, duration_ms=4.5))
        assert len(t) == 1
        assert t.stage(7).duration_ms == 4.5 and t.stage(7).failures is None
        assert t.run.success is False and t.run.cost == 0.25
        with pytest.raises(gdfo.GdfoError) as e:
            t.set_stage(gdfo.StageTelemetry(stage_id=8, duration_ms=float("nan")))
        assert e.value.status == gdfo.EINVAL
        with pytest.raises(gdfo.GdfoError) as e:
            t.stage(99)
        assert e.value.status == gdfo.ENOTFOUND


# ------------------------------------------------------- the rule optimizer


def test_optimize_rules_retail():
    with gdfo.Graph.load(RETAIL) as g:
        before = g.to_json()
        with gdfo.optimize_rules(g) as plan:
            assert plan.source == "rules"
            assert plan.risk in ("low", "medium", "high")
            changes = plan.changes()
            assert changes, "the rules change the retail pipeline"
            kinds = {c.kind for c in changes}
            assert {"push_filter", "partitions"} <= kinds
            for c in changes:
                assert c.what and c.why and 0 <= c.confidence <= 1
            text = plan.explain()
            for c in changes:
                assert c.what in text
            doc = json.loads(plan.to_json())
            assert doc["format"] == "gdfo-plan/1"
            assert len(doc["changes"]) == len(changes)
            with plan.graph() as pg:
                pg.validate()
                assert len(pg) <= len(g)      # fusion merges stages
            assert plan.prediction.latency_ms is None   # rules have no cost model
        assert g.to_json() == before, "the input graph is not modified"


def test_rules_changes_say_what_they_set():
    with gdfo.Graph.load(RETAIL) as g, gdfo.optimize_rules(g) as plan, plan.graph() as pg:
        changes = plan.changes()
        assert all(c.field for c in changes)
        # products (8 MB) is broadcast: join_products from sort_merge (the example's) to broadcast
        (j,) = [c for c in changes if c.kind == "join_strategy"]
        assert j.field == "join_strategy" and j.stage_ids == [7]
        assert (j.old, j.new) == (3, 1)          # GDFO_JOIN_SORT_MERGE -> GDFO_JOIN_BROADCAST
        assert (j.old_label, j.new_label) == (g.stage(7).knobs.join_strategy, "broadcast")
        assert pg.stage(7).knobs.join_strategy == "broadcast"
        # partition counts from the input's to the plan's
        parts = [c for c in changes if c.kind == "partitions"]
        assert parts
        for c in parts:
            (sid,) = c.stage_ids
            assert c.field == "partitions"
            assert c.old == g.stage(sid).knobs.partitions and c.new == pg.stage(sid).knobs.partitions
            assert c.new_label == str(int(c.new))
        (f,) = [c for c in changes if c.kind == "fuse"]
        assert (f.field, f.old, f.new, f.old_label) == ("fuse", 2, 1, None)
        # the values survive the JSON round trip
        doc = json.loads(plan.to_json())
        assert doc["changes"][changes.index(j)]["new_label"] == "broadcast"
        with gdfo.Plan.from_json(plan.to_json()) as back:
            assert back.changes() == changes


def test_changes_of_a_library_without_values(monkeypatch):
    # a library that does not know version 2 of gdfo_change (0.2.0) answers EVERSION: the
    # binding asks again for version 1 and the values are None
    monkeypatch.setattr(gdfo._lib, "GDFO_CHANGE_VERSION", 99)
    with gdfo.Graph.load(RETAIL) as g, gdfo.optimize_rules(g) as plan:
        changes = plan.changes()
        assert changes and all(c.what and c.field is None and c.new is None for c in changes)


def test_optimize_rules_options():
    defaults = gdfo.default_rules_options()
    assert defaults["broadcast_max_bytes"] == 0  # the pipeline's threshold, else 10 MiB
    assert defaults["target_partition_bytes"] == 128 << 20
    with gdfo.Graph.load(RETAIL) as g:
        with gdfo.optimize_rules(g, broadcast_joins=False, push_filters=False,
                                 fuse_narrow=False) as plan:
            kinds = {c.kind for c in plan.changes()}
            assert "push_filter" not in kinds and "fuse" not in kinds
            with plan.graph() as pg:
                assert all(s.knobs.join_strategy != "broadcast" for s in pg.stages())
        with gdfo.optimize_rules(g) as plan:
            with plan.graph() as pg:
                # products (8 MB) is under the 10 MiB bound: its join broadcasts.
                assert any(s.knobs.join_strategy == "broadcast" for s in pg.stages())
        with pytest.raises(TypeError):
            gdfo.optimize_rules(g, no_such_option=1)
        with pytest.raises(gdfo.GdfoError) as e:
            gdfo.optimize_rules(g, target_partition_bytes=5)
        assert e.value.status == gdfo.EINVAL and "target_partition_bytes" in str(e.value)


def test_optimize_rules_with_telemetry():
    with gdfo.Graph.load(RETAIL) as g, gdfo.Telemetry() as t:
        t.set_stage(gdfo.StageTelemetry(stage_id=3, duration_ms=60000, tasks=200,
                                        shuffle_write_bytes=4e9))
        with gdfo.optimize_rules(g, t) as plan:
            assert plan.changes()
        with gdfo.Telemetry() as unrelated:
            unrelated.set_stage(gdfo.StageTelemetry(stage_id=4242, duration_ms=1))
            with pytest.raises(gdfo.GdfoError) as e:
                gdfo.optimize_rules(g, unrelated)
            assert e.value.status == gdfo.EINVAL


def test_plan_cannot_be_constructed_directly():
    with pytest.raises(TypeError):
        gdfo.Plan()


def test_plan_file_round_trip(tmp_path):
    with gdfo.Plan.load(os.path.join(BAD, "good", "plan.json")) as p:
        assert p.source == "rules" and p.risk == "low"
        (c,) = p.changes()
        assert c.kind == "partitions" and c.stage_ids == [1] and c.attended_ids == [1]
        # written without values (as by libgdfo 0.2): none
        assert (c.field, c.old, c.new, c.old_label, c.new_label) == (None,) * 5
        assert p.prediction.latency_ms == 1000
        p.save(tmp_path / "p.json")
        with gdfo.Plan.load(tmp_path / "p.json") as p2:
            assert p2.to_json() == p.to_json()


def test_rules_plan_json_round_trip():
    with gdfo.Graph.load(RETAIL) as g, gdfo.optimize_rules(g) as plan:
        text = plan.to_json()
        with gdfo.Plan.from_json(text) as p2:
            assert p2.to_json() == text


# ---------------------------------------------------------------- profiles


def test_profile_round_trip_and_build():
    with gdfo.Profile.load(os.path.join(BAD, "good", "profile.json")) as p:
        assert p.executors == 8 and p.cores_per_executor == 4
        s0, s1 = p.stages()
        assert s0.task_ms == [812, 790, 1203] and s1.parents == [0]
        assert s1.task_ms_by_executors == {2: [400, 410], 10: [90, 95]}
        assert s0.input_bytes is None
        text = p.to_json()
        with gdfo.Profile.from_json(text) as p2:
            assert p2.to_json() == text
    with gdfo.Profile("built", 4, 2) as p:
        p.add_stage(gdfo.ProfileStage(id=0, num_tasks=2, task_ms=[1.5, 2.5], input_bytes=1024))
        p.add_stage(gdfo.ProfileStage(id=1, parents=[0], num_tasks=1,
                                      task_ms_by_executors={4: [3.0], 2: [5.0]}))
        assert p.stages()[0].input_bytes == 1024
        assert list(p.stages()[1].task_ms_by_executors) == [2, 4]
        with pytest.raises(gdfo.GdfoError) as e:
            p.add_stage(gdfo.ProfileStage(id=2, parents=[9], task_ms=[1]))
        assert e.value.status == gdfo.ENOTFOUND
        with pytest.raises(gdfo.GdfoError) as e:
            p.add_stage(gdfo.ProfileStage(id=3, task_ms=[-1]))
        assert e.value.status == gdfo.EINVAL

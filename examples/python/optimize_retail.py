#!/usr/bin/env python3
"""Optimize the retail ETL pipeline with libgdfo's rule-based optimizer.

Run from the project root after `make`:

    GDFO_LIBRARY=build/libgdfo.so PYTHONPATH=bindings/python \
        python3 examples/python/optimize_retail.py [PIPELINE.json] [PLAN.json]

Prints each change the rules make and why, then writes the plan
(gdfo-plan/1 JSON) if a second path is given.
"""
import sys

import gdfo


def main(argv):
    pipeline = argv[1] if len(argv) > 1 else "examples/pipelines/retail_etl.json"
    try:
        with gdfo.Graph.load(pipeline) as graph:
            print("libgdfo %s: pipeline '%s', %d stages, fingerprint %016x"
                  % (gdfo.version_string(), graph.name, len(graph), graph.fingerprint()))
            with gdfo.optimize_rules(graph, broadcast_max_bytes=10 << 20) as plan:
                changes = plan.changes()
                print("plan by %s: %d changes, risk %s" % (plan.source, len(changes), plan.risk))
                for i, c in enumerate(changes, 1):
                    print("%2d. [%s] %s\n      why: %s (expected gain %.1f %%)"
                          % (i, c.kind, c.what, c.why, 100 * c.expected_gain))
                with plan.graph() as rewritten:
                    print("rewritten pipeline: %d stages" % len(rewritten))
                if len(argv) > 2:
                    plan.save(argv[2])
                    print("plan written to %s" % argv[2])
    except gdfo.GdfoError as e:
        print("optimize_retail: %s (%s)" % (e, e.status_name), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

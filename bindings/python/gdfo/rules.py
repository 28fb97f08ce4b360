"""The rule-based optimizer (include/gdfo/rules.h)."""
from __future__ import annotations

import ctypes
from contextlib import ExitStack
from typing import Dict, Optional, Union

from . import _lib
from ._handle import require, set_option
from .errors import check
from .graph import Graph
from .plan import Plan
from .telemetry import Telemetry

# Option names and the Python types they take; defaults come from the C side
# (gdfo_rules_options_init), so they cannot drift from the library's.
_SWITCHES = ("push_filters", "fuse_narrow", "broadcast_joins", "set_partitions", "cache_shared",
             "set_priorities", "reorder_joins")
_INTS = ("target_partition_bytes", "min_partition_bytes", "broadcast_max_bytes",
         "cache_budget_bytes")
_FLOATS = ("cache_memory_fraction", "partition_change_min")
OPTIONS = _SWITCHES + _INTS + _FLOATS


def default_options() -> Dict[str, Union[bool, int, float]]:
    """The library's default options as a dict."""
    o = _lib.RulesOptions()
    check(_lib.rules_options_init(ctypes.byref(o), _lib.GDFO_RULES_OPTIONS_VERSION))
    return {k: (bool(getattr(o, k)) if k in _SWITCHES else getattr(o, k)) for k in OPTIONS}


def optimize_rules(graph: Graph, telemetry: Optional[Telemetry] = None,
                   **options: Union[bool, int, float]) -> Plan:
    """Optimizes graph with the rules; returns a new Plan (source "rules").

    telemetry (optional) is a previous run of the same pipeline. Keyword
    options are the fields of gdfo_rules_options (see OPTIONS), e.g.
    optimize_rules(g, broadcast_max_bytes=64 << 20, reorder_joins=True).
    The graph is not modified. Switches take only bool, sizes only int
    (not bool), fractions int or float: anything else is a TypeError, as is
    a graph that is not a Graph. Raises GdfoError (EINVAL for an invalid
    graph or an option out of range, naming it).
    """
    require(graph, Graph, "graph")
    if telemetry is not None:
        require(telemetry, Telemetry, "telemetry")
    o = _lib.RulesOptions()
    check(_lib.rules_options_init(ctypes.byref(o), _lib.GDFO_RULES_OPTIONS_VERSION))
    for k, v in options.items():
        if not set_option(o, k, v, _SWITCHES, _INTS, _FLOATS):
            raise TypeError("optimize_rules() got an unknown option %r (options: %s)"
                            % (k, ", ".join(OPTIONS)))
    out = ctypes.c_void_p()
    with ExitStack() as stack:
        g = stack.enter_context(graph._read())
        t = stack.enter_context(telemetry._read()) if telemetry is not None else None
        check(_lib.optimize_rules(ctypes.byref(out), g, t, ctypes.byref(o)))
    return Plan._wrap(out.value)

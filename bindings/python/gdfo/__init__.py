"""Python binding of libgdfo, the Generative Data Flow Optimizer (ctypes only).

    import gdfo
    with gdfo.Graph.load("examples/pipelines/retail_etl.json") as g:
        with gdfo.optimize_rules(g) as plan:
            print(plan.explain())

The shared library is found through GDFO_LIBRARY, then next to this package,
then as the system's libgdfo.so.0.2 (see gdfo._lib). Failures raise GdfoError
with .status, .status_name and the library's one-line message (a file that
does not exist: GdfoFileNotFoundError, also a FileNotFoundError). Objects that
own library memory (Graph, Telemetry, Plan, Profile, EventLog, Optimizer,
Refiner) are context managers; close() frees them early and is safe to call twice (as are Space and Judge,
the decision space and the benchmark's judge). Graph, Plan,
Telemetry and Profile iterate over copies of their stages or changes.
"""
from typing import Tuple

from . import _lib
from .errors import (EANOMALY, ECANCELED, ECHECKSUM, ECYCLE, EEXISTS, EFORMAT, EILLEGAL, EINTERNAL, EINVAL,
                     EIO, ENOMEM, ENOTFOUND, ERANGE, EUNSUPPORTED, EVERSION, OK, GdfoError,
                     GdfoFileNotFoundError, last_error)
from ._lib import LibraryNotFound
from .graph import Cluster, Graph, GraphKnobs, Stage, StageKnobs, StageStats
from .telemetry import RunTelemetry, StageTelemetry, Telemetry
from .plan import Change, Plan, PlanLoop, Prediction
from .profile import Profile, ProfileStage
from .ingest import EventLog, ExecutorEvent, ingest_summary
from .rules import optimize_rules, default_options as default_rules_options
from .space import Choice, Decision, RngState, Space
from .judge import Judge, Objective, Outcome, Reward, reward
from .sim import Calibration, SimResult, Simulator, StageResult
from .advise import Advice, Diagnosis, Finding, WhatIfPoint, advise, diagnose
from .optimizer import (Feedback, LoopStats, Optimizer, Refiner, TrainProgress, audit, check_policy,
                        default_optimizer_options, default_train_options, train)

from ._version import __version__

#: The path of the loaded libgdfo.
library_path: str = _lib.path


def version() -> Tuple[int, int, int]:
    """The run-time library version as a (major, minor, patch) tuple."""
    return _lib.RUNTIME_VERSION


def version_string() -> str:
    """The run-time library version as "MAJOR.MINOR.PATCH"."""
    return _lib.version_string().decode("ascii")


def status_name(status: int) -> str:
    """The symbolic name of a status code ("GDFO_EFORMAT")."""
    return _lib.status_name(status).decode("ascii")


__all__ = [
    "Graph", "Stage", "StageStats", "StageKnobs", "GraphKnobs", "Cluster",
    "Telemetry", "StageTelemetry", "RunTelemetry",
    "Plan", "Change", "Prediction", "PlanLoop", "Profile", "ProfileStage",
    "optimize_rules", "default_rules_options", "Simulator", "SimResult", "StageResult", "Calibration",
    "Space", "Decision", "Choice", "RngState", "Judge", "Objective", "Outcome", "Reward", "reward",
    "EventLog", "ExecutorEvent", "ingest_summary",
    "diagnose", "advise", "Diagnosis", "Finding", "Advice", "WhatIfPoint",
    "Optimizer", "Refiner", "TrainProgress", "train", "default_optimizer_options",
    "default_train_options", "Feedback", "LoopStats", "audit", "check_policy",
    "GdfoError", "GdfoFileNotFoundError", "LibraryNotFound", "last_error", "version", "version_string", "status_name",
    "library_path",
    "OK", "EINVAL", "ENOMEM", "EIO", "EFORMAT", "ECYCLE", "ENOTFOUND", "EEXISTS", "ERANGE",
    "EVERSION", "ECHECKSUM", "EILLEGAL", "EINTERNAL", "EUNSUPPORTED", "ECANCELED",
    "EANOMALY",
]

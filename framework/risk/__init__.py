"""Pre-trade risk: a declared list of small checks run by one runner (see :mod:`.runner`).

A denial is a value (:class:`RiskDecision`), not an exception: the engine journals every one.
"""

from framework.risk.decisions import Action, HaltReason, Reason, RiskDecision
from framework.risk.guards import breached, scope_of
from framework.risk.manager import RiskManager, declared_checks
from framework.risk.runner import Adjusted, RiskCheck, RiskInput, RiskResult, RiskRunner

__all__ = [
    "Action",
    "Adjusted",
    "HaltReason",
    "Reason",
    "RiskCheck",
    "RiskDecision",
    "RiskInput",
    "RiskManager",
    "RiskResult",
    "RiskRunner",
    "breached",
    "declared_checks",
    "scope_of",
]

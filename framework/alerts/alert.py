"""An alert: something a person running paper trading should know about now, as a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from framework.redaction import SECRETS, SecretFilter
from framework.venue_time import human


class AlertKind(StrEnum):
    """One per runbook entry in docs/operations.md."""

    HALT = "halt"
    RESUME = "resume"
    FLATTEN = "flatten"
    REJECTION = "rejection"
    UNACKNOWLEDGED = "unacknowledged"
    RECONCILIATION = "reconciliation"
    CYCLE_FAILURE = "cycle_failure"
    STALE_DATA = "stale_data"
    LOSS_HEADROOM = "loss_headroom"
    WATCH_FAILURE = "watch_failure"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Alert:
    """``time`` is the venue's; ``details`` are plain JSON values (no secrets: they are sent)."""

    kind: AlertKind
    severity: Severity
    summary: str
    time: datetime
    account: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"[trade {self.account}] {self.kind.value.replace('_', ' ')}: {self.summary}"

    def to_json(self, secrets: SecretFilter = SECRETS) -> dict[str, Any]:
        """What every sink sends: the summary and details with the process's secrets masked."""
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "summary": secrets.scrub(self.summary),
            "time": self.time.isoformat(),
            "time_venue": human(self.time),
            "account": self.account,
            "details": secrets.scrub_value(self.details),
            "runbook": f"docs/operations.md#{self.kind.value.replace('_', '-')}",
        }


__all__ = ["Alert", "AlertKind", "Severity"]

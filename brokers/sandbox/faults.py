"""Seeded, targetable fault injection: what the adapter must survive, on demand."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429 with X-Ratelimit-* headers, asking to wait `delay` s (at least 1)
    SERVER_ERROR = "server_error"  # 500 / 503
    SLOW = "slow"  # answer after `delay` seconds (past a client timeout)
    LOST_RESPONSE = "lost_response"  # do the work, then answer 500: the client cannot know
    DROP_STREAM = "drop_stream"  # close every trade-updates websocket
    REJECT = "reject"  # refuse the next order (403)
    PARTIAL = "partial"  # fill only part of the next fill


@dataclass
class Fault:
    kind: FaultKind
    route: str = ""  # e.g. "POST /v2/orders"; empty: any route
    count: int = 1  # how many times it fires
    delay: float = 0.0  # SLOW; RATE_LIMIT: the wait asked for
    status: int = 503  # SERVER_ERROR
    probability: float = 1.0  # fires with this probability (seeded)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Fault:
        return cls(
            kind=FaultKind(raw["kind"]),
            route=str(raw.get("route", "")),
            count=int(raw.get("count", 1)),
            delay=float(raw.get("delay", 0.0)),
            status=int(raw.get("status", 503)),
            probability=float(raw.get("probability", 1.0)),
        )


class FaultBook:
    def __init__(self, seed: int = 0) -> None:
        self.faults: list[Fault] = []
        self._rng = random.Random(seed)
        self.fired: list[tuple[str, str]] = []  # (kind, route) of every fault that fired

    def set(self, faults: list[Fault]) -> None:
        self.faults = list(faults)

    def take(self, kinds: set[FaultKind], route: str) -> Fault | None:
        """The first armed fault of ``kinds`` matching ``route`` (consumes one count)."""
        for fault in self.faults:
            if fault.kind in kinds and fault.count > 0 and (not fault.route or fault.route == route):
                if self._rng.random() >= fault.probability:
                    continue
                fault.count -= 1
                self.fired.append((fault.kind.value, route))
                return fault
        return None

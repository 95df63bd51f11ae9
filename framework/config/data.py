"""Which market data to load (default: the embedded dataset) and how it is checked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from framework.config.base import ConfigModel

#: what data.columns may map a file's header to (framework.data.formats REQUIRED + OPTIONAL)
COLUMN_NAMES = ("date", "symbol", "open", "high", "low", "close", "volume", "adj_close", "dividend", "split_ratio")


class DataConfig(ConfigModel):
    prices: str | None = None
    sectors: str | None = None
    adjust: bool = True
    symbols: list[str] | None = Field(None, min_length=1)
    calendar: str = Field("XNYS", min_length=1)
    on_problem: Literal["error", "drop", "repair"] = "error"
    spike_threshold: float = Field(12.0, gt=0)
    zero_volume_sessions: int = Field(3, ge=1)
    stale_sessions: int = Field(5, ge=2)
    #: a price file's own headers → ours, e.g. {OpenPx: open, Px: close, Ticker: symbol}
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for theirs, ours in value.items():
            if ours not in COLUMN_NAMES:
                raise ValueError(f"{theirs}: {ours!r} is not a column we read (one of {', '.join(COLUMN_NAMES)})")
        doubled = sorted({ours for ours in value.values() if list(value.values()).count(ours) > 1})
        if doubled:
            raise ValueError(f"two headers mapped to {doubled[0]}: keep one")
        return value

"""What a paper cycle decided on, stored beside its journal so a backtest can replay it exactly.

Each cycle's history (raw bars, dividends, splits, filled marks, sectors: the ``MarketData`` the
plugin's signals and the sizing's volatility were computed from) is written once as a Parquet
blob named by the SHA-256 of its bytes, in ``inputs/`` beside the journal; the journal records
the digest per session (``Journal.record_decision_inputs``). Identical histories share a blob.
Reading a blob checks its digest, so a replay runs on exactly what paper saw or not at all.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from framework.data import FIELDS, Adjustment, MarketData
from framework.errors import InputError

FOLDER = "inputs"
_FRAMES = (*FIELDS, "dividends", "splits", "filled")
_META = b"trade.decision_inputs"


def folder_of(journal_path: Path | str) -> Path:
    """The blob folder of a journal: ``inputs/`` beside it."""
    return Path(journal_path).parent / FOLDER


def encode(history: MarketData) -> bytes:
    """The history as Parquet bytes: one column per (frame, symbol), the dates as the index."""
    symbols = list(history.close.columns)
    columns = {f"{name}|{symbol}": getattr(history, name)[symbol].to_numpy()
               for name in _FRAMES for symbol in symbols}
    table = pd.DataFrame(columns, index=history.close.index)
    meta = {
        "symbols": symbols,
        "sectors": {str(k): str(v) for k, v in history.sectors.items()},
        "view": history.view.value,
        "basis": history.basis.value,
        "source": history.source,
        "fingerprint": history.fingerprint,
        "index_name": history.close.index.name,
    }
    arrow = pa.Table.from_pandas(table, preserve_index=True)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), _META: json.dumps(meta).encode()})
    sink = io.BytesIO()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue()


def decode(blob: bytes) -> MarketData:
    arrow = pq.read_table(io.BytesIO(blob))
    meta = json.loads(arrow.schema.metadata[_META])
    table = arrow.to_pandas()
    symbols = meta["symbols"]
    frames = {}
    for name in _FRAMES:
        frame = table[[f"{name}|{s}" for s in symbols]].copy()
        frame.columns = pd.Index(symbols)
        frame.index.name = meta["index_name"]
        frames[name] = frame
    sectors = pd.Series(meta["sectors"], dtype=object).reindex([s for s in symbols if s in meta["sectors"]])
    return MarketData(**frames, sectors=sectors, source=meta["source"], fingerprint=meta["fingerprint"],
                      view=Adjustment(meta["view"]), basis=Adjustment(meta["basis"]))


def store(history: MarketData, folder: Path) -> str:
    """Write the history's blob (unless already there) and return its digest."""
    blob = encode(history)
    digest = hashlib.sha256(blob).hexdigest()
    path = folder / f"{digest}.parquet"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{digest}.{os.getpid()}.partial")
        partial.write_bytes(blob)
        partial.replace(path)
    return digest


def load(folder: Path, digest: str) -> MarketData:
    """The history stored under ``digest``; InputError when it is missing or not what was stored."""
    path = folder / f"{digest}.parquet"
    if not path.is_file():
        raise InputError(f"decision inputs {path}: missing (the journal names a blob that is not there)")
    blob = path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != digest:
        raise InputError(f"decision inputs {path}: content does not match its name (altered or truncated)")
    return decode(blob)


__all__ = ["FOLDER", "decode", "encode", "folder_of", "load", "store"]

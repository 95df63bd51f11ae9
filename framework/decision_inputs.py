"""What a paper cycle decided on, stored beside its journal so a backtest can replay it exactly.

Each cycle's history (raw bars, dividends, splits, filled marks, sectors: the ``MarketData`` the
plugin's signals and the sizing's volatility were computed from) is written once as a Parquet
blob named by the SHA-256 of its bytes, in ``inputs/`` beside the journal; the journal records
the digest per session (``Journal.record_decision_inputs``). Identical histories share a blob.
Reading a blob checks its digest, so a replay runs on exactly what paper saw or not at all.

The layout is long: one row per (date, symbol) of the grid, NaN cells kept, one column per
frame, so each frame is one array reshaped (a column per (frame, symbol), the first layout,
was ~1.8 s a paper cycle at 500 symbols: 4,000 Parquet columns). Blobs of the first layout
(no ``layout`` in their metadata) still read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from framework.data import FIELDS, Adjustment, MarketData
from framework.errors import InputError

FOLDER = "inputs"
_FRAMES = (*FIELDS, "dividends", "splits", "filled")
_META = b"trade.decision_inputs"
LONG = "long"  # the layout written since issue 31


def folder_of(journal_path: Path | str) -> Path:
    """The blob folder of a journal: ``inputs/`` beside it."""
    return Path(journal_path).parent / FOLDER


def encode(history: MarketData) -> bytes:
    """The history as Parquet bytes, long: columns ``date``, ``symbol`` and one per frame, a row
    per cell of the (dates × symbols) grid, dates major."""
    symbols = list(history.close.columns)
    index = history.close.index
    cells = len(index) * len(symbols)
    columns: dict[str, pa.Array] = {
        "date": pa.array(np.repeat(index.to_numpy(), len(symbols))),
        "symbol": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(len(symbols), dtype=np.int32), len(index))), pa.array(symbols, pa.string())),
    }
    for name in _FRAMES:
        columns[name] = pa.array(getattr(history, name).to_numpy().reshape(cells))
    meta = {
        "layout": LONG,
        "symbols": symbols,
        "sectors": {str(k): str(v) for k, v in history.sectors.items()},
        "view": history.view.value,
        "basis": history.basis.value,
        "source": history.source,
        "fingerprint": history.fingerprint,
        "index_name": index.name,
    }
    arrow = pa.table(columns).replace_schema_metadata({_META: json.dumps(meta).encode()})
    sink = io.BytesIO()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue()


def decode(blob: bytes) -> MarketData:
    arrow = pq.read_table(io.BytesIO(blob))
    meta = json.loads(arrow.schema.metadata[_META])
    symbols = meta["symbols"]
    frames = _long_frames(arrow, meta) if meta.get("layout") == LONG else _wide_frames(arrow, meta)
    sectors = pd.Series(meta["sectors"], dtype=object).reindex([s for s in symbols if s in meta["sectors"]])
    return MarketData(**frames, sectors=sectors, source=meta["source"], fingerprint=meta["fingerprint"],
                      view=Adjustment(meta["view"]), basis=Adjustment(meta["basis"]))


def _long_frames(arrow: pa.Table, meta: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The long layout: each frame's column reshaped to the grid (writable: a copy of Arrow's)."""
    symbols = meta["symbols"]
    index = pd.DatetimeIndex(arrow.column("date").to_numpy()[:: max(len(symbols), 1)], name=meta["index_name"])
    columns = pd.Index(symbols)
    shape = (len(index), len(symbols))
    return {name: pd.DataFrame(np.array(arrow.column(name).to_numpy().reshape(shape)), index=index, columns=columns)
            for name in _FRAMES}


def _wide_frames(arrow: pa.Table, meta: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The first layout: one column per (frame, symbol), the dates as the Pandas index."""
    table = arrow.to_pandas()
    symbols = meta["symbols"]
    frames = {}
    for name in _FRAMES:
        frame = table[[f"{name}|{s}" for s in symbols]].copy()
        frame.columns = pd.Index(symbols)
        frame.index.name = meta["index_name"]
        frames[name] = frame
    return frames


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

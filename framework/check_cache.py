"""What `trade check-strategy` found, remembered by the plugin's source hash.

`trade backtest` reads it to print a one-line hint when the plugin it runs has not passed the
lookahead check for this version of its code. The hash covers every source file of the plugin:
its module (its whole package when it lives in a package of its own, like
``strategies/xgboost_signal/``) and the modules of the plugin classes it derives from, so an edit
anywhere in the plugin's code asks for a new check. The cache is one JSON file under
``$TRADE_CACHE_DIR`` (default ``$XDG_CACHE_HOME/trade``, else ``~/.cache/trade``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CACHE_FILE = "check-strategy.json"
SHARED_PACKAGES = ("", "strategies")  # a module directly in one of these is hashed alone


def cache_dir() -> Path:
    env = os.environ.get("TRADE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "trade"


def _files_of(module_name: str) -> list[Path]:
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path:
        return []
    package = (getattr(module, "__package__", None) or "").split(".")
    top = ".".join(package[:2]) if package[:1] == ["strategies"] else package[0]
    if top in SHARED_PACKAGES or module_name == top:
        return [Path(path)]
    root = sys.modules.get(top)
    folder = Path(root.__file__).parent if root is not None and getattr(root, "__file__", None) else None
    return sorted(folder.rglob("*.py")) if folder else [Path(path)]


def source_hash(plugin: type) -> str:
    """SHA-256 over the plugin's source files (path within its package, then content)."""
    files: set[Path] = set()
    for cls in inspect.getmro(plugin):
        module = cls.__module__
        if module.split(".")[0] in ("framework", "builtins", "abc"):
            continue
        files.update(_files_of(module))
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CheckRecord:
    strategy: str
    source_hash: str
    passed: bool
    verdict: str  # "passed", or what failed: "lookahead", "warm-up", "nondeterministic", "exits"
    cuts: int
    data_fingerprint: str
    params: dict[str, Any]


def _path() -> Path:
    return cache_dir() / CACHE_FILE


def _read() -> dict[str, Any]:
    try:
        data = json.loads(_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember(record: CheckRecord) -> None:
    """Keep the latest verdict for (strategy, source hash); the file is replaced atomically."""
    entries = _read()
    entries[f"{record.strategy}:{record.source_hash}"] = asdict(record)
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
        scratch.replace(path)
    except OSError:
        return  # a read-only home must not fail a check that ran


def recall(strategy: str, digest: str) -> CheckRecord | None:
    entry = _read().get(f"{strategy}:{digest}")
    try:
        return CheckRecord(**entry) if isinstance(entry, dict) else None
    except TypeError:
        return None


def backtest_hint(plugin: type, name: str) -> str | None:
    """One line for `trade backtest` when this code version has not passed the check."""
    digest = source_hash(plugin)
    record = recall(name, digest)
    if record is not None and record.passed:
        return None
    command = f"`trade check-strategy {name}`"
    if record is None:
        return (f"hint: {name} has not been through {command} for this code version (source {digest[:8]}); "
                "a plugin that looks ahead backtests to returns no market will pay")
    return (f"hint: {name} FAILED {command} for this code version (source {digest[:8]}: {record.verdict}); "
            "its backtest figures are not to be trusted")


__all__ = ["CheckRecord", "backtest_hint", "cache_dir", "recall", "remember", "source_hash"]

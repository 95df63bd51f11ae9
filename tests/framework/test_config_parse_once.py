"""A settings load parses each distinct YAML text once per process: the seven shipped files were
nearly all of a load's time (25 ms), and a paper service, a sweep or a test run loads settings
many times. Every caller still gets its own copy, and an edited file is read afresh."""

from __future__ import annotations

import yaml

from framework.config import load_settings, loader, read_yaml
from framework.config.loader import SHIPPED_FILES


def test_the_shipped_files_are_parsed_once_per_process(monkeypatch) -> None:
    parsed: list[str] = []
    real = yaml.safe_load
    monkeypatch.setattr(loader.yaml, "safe_load", lambda text: parsed.append(text) or real(text))
    getattr(getattr(loader, "_parsed", None), "cache_clear", lambda: None)()  # a fresh process's start
    first = load_settings([], validate_strategy=False)
    once = len(parsed)
    second = load_settings([], validate_strategy=False)
    assert once >= len(SHIPPED_FILES)
    assert len(parsed) == once, "the second load parsed the shipped files again"
    assert first == second


def test_each_caller_gets_a_copy_and_an_edited_file_is_read_again(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("risk:\n  stop_loss: 0.1\n")
    mine = read_yaml(path)
    mine["risk"]["stop_loss"] = 0.5  # a caller changing what it got
    assert read_yaml(path) == {"risk": {"stop_loss": 0.1}}
    path.write_text("risk:\n  stop_loss: 0.2\n")  # the same size, maybe the same mtime: the text decides
    assert read_yaml(path) == {"risk": {"stop_loss": 0.2}}

"""A rehearsal of a `module:Class` plugin was written to `runs/rehearse/<time>-sma_cross:SmaCross`."""

from __future__ import annotations

from framework.cli.rehearse import folder_safe


def test_a_module_class_name_makes_a_folder_name_without_a_colon() -> None:
    assert folder_safe("sma_cross:SmaCross") == "sma_cross-SmaCross"
    assert folder_safe("momentum") == "momentum"
    assert folder_safe("pkg.mod:Cls") == "pkg.mod-Cls"
    assert ":" not in folder_safe("a:b:c") and "/" not in folder_safe("../x")

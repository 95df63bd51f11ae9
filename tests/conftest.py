"""Every test (and every command it runs) keeps its check-strategy cache in a scratch folder."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _scratch_check_cache(tmp_path_factory):
    os.environ["TRADE_CACHE_DIR"] = str(tmp_path_factory.mktemp("trade-cache"))

"""`trade data fetch` against the sandbox: a Parquet cache `trade backtest --data` reads, fetched
incrementally (a second fetch of the same range sends no bars request)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import requests
from alpaca_sandbox_helpers import environment, run_trade
from market_once import embedded, embedded_sandbox

from framework.data import load_market_data

SYMBOLS = "NFLX,SO,AAPL"


def test_fetch_writes_a_cache_backtest_reads_and_fetches_only_what_is_missing(tmp_path, capsys) -> None:
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2017-01-03") as server:
        env = environment(server)
        count = lambda: requests.get(f"{server.base_url}/_sandbox/state", timeout=10).json()["bars_requests"]  # noqa: E731
        cache = tmp_path / "cache.parquet"
        fetch = ("data", "fetch", "--symbols", SYMBOLS, "--start", "2015-01-12", "--out", str(cache))
        assert run_trade([*fetch, "--end", "2016-06-30"], env) == 0
        first = count()
        assert first == 3  # raw, split- and all-adjusted: one page each
        assert run_trade([*fetch, "--end", "2016-06-30"], env) == 0
        assert count() == first  # nothing missing: no bars request
        assert "nothing fetched" in capsys.readouterr().out
        assert run_trade([*fetch, "--end", "2016-12-30"], env) == 0
        assert count() == first + 3  # only the missing range
        (tmp_path / "universe.txt").write_text("# symbols\nKO\nPEP\n")
        assert run_trade(["data", "fetch", "--universe", str(tmp_path / "universe.txt"), "--start", "2015-01-12",
                          "--end", "2016-12-30", "--out", str(tmp_path / "u.parquet")], env) == 0
        assert count() == first + 6

    market = embedded().select(sorted(SYMBOLS.split(","))).between("2015-01-12", "2016-12-30")
    cached = load_market_data(cache)
    assert cached.close.to_numpy() == pytest.approx(market.close.to_numpy(), nan_ok=True)  # as traded
    assert cached.splits.stack().dropna().to_dict() == {(pd.Timestamp("2015-07-15"), "NFLX"): 7.0}
    inside = slice("2015-01-13", None)
    assert cached.dividends.loc[inside].notna().equals(market.dividends.loc[inside].notna())
    assert cached.report.clean

    out = tmp_path / "run"
    code = run_trade(["backtest", "--strategy", "momentum", "--data", str(cache), "--out", str(out), "--no-report"], {})
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data"]["source"] == str(cache) and summary["data"]["symbols"] == sorted(SYMBOLS.split(","))


def test_a_cache_of_another_feed_is_refused_in_one_line(tmp_path, capsys) -> None:
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2015-03-02") as server:
        env = environment(server)
        cache = str(tmp_path / "c.parquet")
        args = ("data", "fetch", "--symbols", "SO", "--start", "2015-01-12", "--end", "2015-02-27", "--out", cache)
        assert run_trade(list(args), env) == 0
        capsys.readouterr()
        assert run_trade([*args, "--feed", "sip"], env) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {cache}: the cache holds the iex feed, not sip; use --feed iex"]

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.alpaca.config import credentials, resolve_endpoints
from framework.cli import main
from framework.config.paper import AlpacaConfig
from framework.errors import ConfigError, LiveTradingRefused


def test_defaults_are_alpaca_paper_endpoints():
    ends = resolve_endpoints(AlpacaConfig(), env={})
    assert ends.trading_url == "https://paper-api.alpaca.markets" and ends.paper


def test_environment_overrides_config_and_v2_suffix_is_dropped():
    env = {"APCA_API_BASE_URL": "http://127.0.0.1:9/v2", "APCA_API_DATA_URL": "http://127.0.0.1:9",
           "APCA_API_STREAM_URL": "ws://127.0.0.1:9/stream"}
    ends = resolve_endpoints(AlpacaConfig(), env=env)
    assert (ends.trading_url, ends.data_url, ends.stream_url) == (
        "http://127.0.0.1:9", "http://127.0.0.1:9", "ws://127.0.0.1:9/stream")


@pytest.mark.parametrize("env", [{"APCA_API_BASE_URL": "https://api.alpaca.markets"},
                                 {"APCA_API_STREAM_URL": "wss://api.alpaca.markets/stream"}])
def test_live_endpoint_refused_without_allow_live(env):
    with pytest.raises(LiveTradingRefused, match="allow_live"):
        resolve_endpoints(AlpacaConfig(), env=env)


def test_live_endpoint_allowed_with_allow_live():
    ends = resolve_endpoints(AlpacaConfig(allow_live=True),
                             env={"APCA_API_BASE_URL": "https://api.alpaca.markets"})
    assert not ends.paper


def test_bad_url_is_a_config_error():
    with pytest.raises(ConfigError, match="trading_url"):
        resolve_endpoints(AlpacaConfig(trading_url="ftp://x"), env={})


def test_missing_keys_named_never_valued():
    with pytest.raises(ConfigError) as info:
        credentials({"APCA_API_KEY_ID": "AKSECRETVALUE"})
    assert "APCA_API_SECRET_KEY" in str(info.value)
    assert "AKSECRETVALUE" not in str(info.value)


def test_credentials_repr_hides_keys():
    creds = credentials({"APCA_API_KEY_ID": "AKID123", "APCA_API_SECRET_KEY": "SSHH456"})
    assert "AKID123" not in repr(creds) and "SSHH456" not in repr(creds)


# -- defect 14.15: every spelling of a live host is refused, and `trade halt` refuses first ------

def _fullwidth(c: str) -> str:
    return chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c


def _spell(host: str, draw) -> str:
    """One way of writing ``host`` that still resolves to it."""
    out = []
    for c in host:
        if c == ".":
            out.append(draw(st.sampled_from([".", "\u3002", "\uff0e", "\uff61", "%2e", "%2E"])))
        else:
            out.append(draw(st.sampled_from([c, c.upper(), _fullwidth(c), f"%{ord(c):02x}"])))
        out.append(draw(st.sampled_from(["", "", "", "\u00ad", "\u200b"])))  # invisible in IDNA
    trailing = draw(st.sampled_from(["", ".", "\u3002"]))
    user = draw(st.sampled_from(["", "user@", "u:p@"]))
    port = draw(st.sampled_from(["", ":443", ":8443"]))
    return f"{user}{''.join(out)}{trailing}{port}"


SCHEMES = {"trading_url": ("https", "/v2"), "data_url": ("https", ""), "stream_url": ("wss", "/stream")}


@st.composite
def live_url(draw):
    name = draw(st.sampled_from(sorted(SCHEMES)))
    host = draw(st.sampled_from(["api.alpaca.markets", "broker-api.alpaca.markets", "alpaca.markets"]))
    scheme, path = SCHEMES[name]
    return name, f"{draw(st.sampled_from([scheme, scheme.upper()]))}://{_spell(host, draw)}{path}"


@settings(max_examples=300)
@given(case=live_url())
def test_every_spelling_of_a_live_host_is_refused_in_every_url(case):
    name, url = case
    with pytest.raises(LiveTradingRefused, match="allow_live"):
        resolve_endpoints(AlpacaConfig(**{name: url}), env={})
    assert not resolve_endpoints(AlpacaConfig(allow_live=True, **{name: url}), env={}).paper


def test_the_trailing_dot_from_the_environment_is_refused():
    with pytest.raises(LiveTradingRefused, match=r"APCA_API_BASE_URL.*api\.alpaca\.markets;"):
        resolve_endpoints(AlpacaConfig(), env={"APCA_API_BASE_URL": "https://api.alpaca.markets."})


@settings(max_examples=100)
@given(data=st.data())
def test_paper_and_data_hosts_however_spelled_stay_paper(data):
    spelled = {name: f"{SCHEMES[name][0]}://{_spell(host, data.draw)}{SCHEMES[name][1]}"
               for name, host in [("trading_url", "paper-api.alpaca.markets"),
                                  ("data_url", "data.alpaca.markets"),
                                  ("stream_url", "paper-api.alpaca.markets")]}
    assert resolve_endpoints(AlpacaConfig(**spelled), env={}).paper


@pytest.mark.parametrize("url", ["https://paper-api.alpaca.markets\\@api.alpaca.markets/",
                                 "https://api.alpaca.markets /v2", "https://api.alpaca..markets"])
def test_urls_parsers_may_read_differently_are_config_errors(url):
    with pytest.raises(ConfigError, match="trading_url"):
        resolve_endpoints(AlpacaConfig(trading_url=url), env={})


def test_a_refused_url_is_shown_without_its_user_info():
    with pytest.raises(ConfigError) as info:
        resolve_endpoints(AlpacaConfig(trading_url="https://me:hunter2@a b"), env={})
    assert "hunter2" not in str(info.value)


def test_halt_refuses_a_live_endpoint_before_writing_the_journal(tmp_path, monkeypatch, capsys):
    journal = tmp_path / "journal.sqlite"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"paper:\n  journal: {journal}\n")
    monkeypatch.setenv("APCA_API_KEY_ID", "AKHALT0000000001")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "HALTSECRET000001")
    monkeypatch.setenv("APCA_API_BASE_URL", "https://api.alpaca.markets.")

    with pytest.raises(SystemExit) as exit_:
        main(["halt", "--config", str(cfg)])

    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert "allow_live" in err and "HALTSECRET" not in err
    assert not journal.exists()  # nothing written

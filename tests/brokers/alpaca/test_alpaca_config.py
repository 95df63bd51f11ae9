import pytest

from brokers.alpaca.config import credentials, resolve_endpoints
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

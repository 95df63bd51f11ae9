"""The alerts/logs/dashboard config: one-line errors naming the key, never repeating a webhook URL."""

from __future__ import annotations

import pytest

from framework.config import load_settings
from framework.errors import ConfigError

SECRET = "https://hooks.example.com/services/T1/B2/verysecretvalue"


def test_a_webhook_url_is_masked_in_every_dump(tmp_path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"alerts:\n  webhooks:\n    - url: {SECRET}\n      format: slack\n")
    settings = load_settings([cfg], validate_strategy=False)
    dumped = settings.model_dump(mode="json")  # what the journal keeps of the config
    assert "verysecretvalue" not in repr(dumped) and "verysecretvalue" not in repr(settings)
    assert settings.alerts.webhooks[0].resolved_url() == SECRET


@pytest.mark.parametrize(("yaml", "expected"), [
    ("alerts:\n  webhooks:\n    - url: ftp://hooks.example.com/verysecretvalue\n",
     "alerts.webhooks.0: Value error, a webhook url must be http:// or https:// with a host"),
    ("alerts:\n  webhooks:\n    - {url: 'https://h/verysecretvalue', url_env: HOOK}\n",
     "alerts.webhooks.0: Value error, a webhook needs exactly one of url or url_env"),
    ("alerts:\n  webhooks:\n    - {url: 'https://h/verysecretvalue', format: teams}\n",
     "alerts.webhooks.0.format: expected 'json' or 'slack'"),
    ("dashboard:\n  refresh_seconds: 10\n", "dashboard.refresh_seconds: Input should be less than or equal to 5"),
    ("logs:\n  formt: json\n", "logs.formt: unknown key (did you mean format?)"),
    ("risk:\n  watch_interval_seconds: 0.5\n", "risk.watch_interval_seconds: Input should be greater than or equal to 1"),
])
def test_bad_values_are_one_line_naming_file_and_key(tmp_path, yaml, expected) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml)
    with pytest.raises(ConfigError) as e:
        load_settings([cfg], validate_strategy=False)
    message = str(e.value)
    assert message.startswith(f"{cfg}: ") and expected in message and "\n" not in message
    assert "verysecretvalue" not in message

"""Secrets stay secret: a URL shown by host only; registered secrets masked in every log line."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from framework.redaction import MASK, SecretFilter, redact_url

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=6, max_size=24)


def test_a_slack_webhook_shows_its_host_only() -> None:
    url = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
    assert redact_url(url) == f"https://hooks.slack.com/{MASK}"


def test_user_info_query_and_port() -> None:
    assert redact_url("http://user:pw@127.0.0.1:8080/hook?token=abc") == f"http://127.0.0.1:8080/{MASK}"
    assert redact_url("https://example.com") == "https://example.com"
    assert redact_url("http://[::1]:9000/x") == f"http://[::1]:9000/{MASK}"
    assert redact_url("not a url") == MASK
    assert redact_url("http://[::1/x") == MASK  # does not parse: masked whole


@given(host=st.sampled_from(["hooks.example.com", "127.0.0.1", "alerts.internal"]), path=SEGMENT, query=SEGMENT,
       user=SEGMENT)
def test_no_part_of_path_query_or_user_survives(host, path, query, user) -> None:
    shown = redact_url(f"https://{user}:{user}@{host}/services/{path}?key={query}")
    assert path not in shown and query not in shown and user not in shown
    assert urlsplit(shown).hostname == host


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("t", logging.WARNING, __file__, 1, msg, args, info)


def test_filter_masks_message_arguments_and_tracebacks() -> None:
    f = SecretFilter()
    f.add("s3cr3t-token-value")
    f.add("ab")  # too short to be a secret: never masks ordinary text
    record = _record("posting to %s failed", "https://h/s3cr3t-token-value")
    assert f.filter(record)
    assert record.getMessage() == f"posting to https://h/{MASK} failed"
    try:
        raise RuntimeError("bad token s3cr3t-token-value")
    except RuntimeError as e:
        failed = _record("boom", exc=e)
    f.filter(failed)
    assert "s3cr3t-token-value" not in failed.exc_text and MASK in failed.exc_text
    plain = _record("about 2 cabs")
    f.filter(plain)
    assert plain.getMessage() == "about 2 cabs"

"""The client's pure rules: ids, base URLs, retry waits and rate-limit durations."""

from __future__ import annotations

import random

import pytest

from openai_assistants.client import backoff_seconds, check_base_url, parse_duration, retry_after_seconds, validate_id
from openai_assistants.errors import ConfigError, InvalidIdError


@pytest.mark.parametrize("good", ["thread_abc123", "run_A-b_9", "x" * 128])
def test_valid_ids_pass(good):
    assert validate_id(good) == good


@pytest.mark.parametrize(
    "bad",
    ["../etc/passwd", "thread?x=1", "thread#a", "thread%2Fx", "thread abc", "thréad", "x" * 129, "", None, 42],
    ids=["traversal", "query", "fragment", "encoded-slash", "space", "unicode", "too-long", "empty", "none", "int"],
)
def test_invalid_ids_are_named_in_the_error(bad):
    with pytest.raises(InvalidIdError) as err:
        validate_id(bad, "thread id")
    assert "invalid thread id" in str(err.value)
    assert len(str(err.value)) < 250  # a 10,000-character id is shortened in the message


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://api.openai.com/v1", True),
        ("http://127.0.0.1:8765/v1", True),
        ("http://localhost:8765/v1", True),
        ("http://[::1]:8765/v1", True),
        ("http://api.example.com/v1", False),
        ("ftp://api.example.com", False),
        ("not a url", False),
        ("", False),
    ],
)
def test_base_url_rules(url, ok):
    if ok:
        assert check_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(ConfigError):
            check_base_url(url)


def test_plain_http_elsewhere_needs_the_explicit_flag():
    assert check_base_url("http://gateway.internal/v1", allow_insecure_http=True) == "http://gateway.internal/v1"


@pytest.mark.parametrize("text, seconds", [("12ms", 0.012), ("1s", 1.0), ("6m0s", 360.0), ("1.5s", 1.5), ("2", 2.0), (None, None)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds) if seconds is not None else parse_duration(text) is None


@pytest.mark.parametrize(
    "headers, seconds",
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "100", "retry-after": "9"}, 0.1),
        ({"retry-after": "100000"}, 120.0),
        ({}, None),
    ],
    ids=["ms", "seconds", "ms-wins", "capped", "none"],
)
def test_retry_after(headers, seconds):
    assert retry_after_seconds(headers) == seconds


def test_backoff_doubles_to_eight_seconds_with_jitter():
    rng = random.Random(1)
    waits = [backoff_seconds(i, rng) for i in range(6)]
    for attempt, wait in enumerate(waits):
        base = min(0.5 * 2 ** attempt, 8.0)
        assert 0.75 * base <= wait <= base

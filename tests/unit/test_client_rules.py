"""The client's pure rules: ids, base URLs, keys, retry waits and rate-limit durations."""

from __future__ import annotations

import random

import pytest

from openai_assistants.settings import API_PROFILES
from sourcekit.config import PROVIDERS, check_base_url, resolve_client_config
from sourcekit.errors import ConfigError, InvalidIdError
from sourcekit.ids import CheckedIds, check_ids
from sourcekit.limiter import parse_duration
from sourcekit.retries import backoff_seconds, retry_after_seconds

OPENAI = PROVIDERS["openai"]


@pytest.mark.parametrize("good", ["thread_abc123", "run_A-b_9", "x" * 128])
def test_valid_ids_pass(good):
    assert check_ids([good], "thread id") == (good,)


@pytest.mark.parametrize(
    "bad",
    ["../etc/passwd", "thread?x=1", "thread#a", "thread%2Fx", "thread abc", "thréad", "x" * 129, "", None, 42],
    ids=["traversal", "query", "fragment", "encoded-slash", "space", "unicode", "too-long", "empty", "none", "int"],
)
def test_invalid_ids_are_named_in_the_error(bad):
    with pytest.raises(InvalidIdError) as err:
        check_ids([bad], "thread id")
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
        assert check_base_url(url, OPENAI) == url.rstrip("/")
    else:
        with pytest.raises(ConfigError):
            check_base_url(url, OPENAI)


def test_no_base_url_means_the_providers_default_or_names_an_example():
    assert check_base_url(None, OPENAI) == "https://api.openai.com/v1"
    with pytest.raises(ConfigError, match="needs --base-url .*services.ai.azure.com"):
        check_base_url(None, PROVIDERS["foundry"])


def test_plain_http_elsewhere_needs_the_explicit_flag():
    assert check_base_url("http://gateway.internal/v1", OPENAI, allow_insecure_http=True) == "http://gateway.internal/v1"


def test_ids_are_deduplicated_once_and_not_checked_again():
    ids = check_ids(["t1", "t2", "t1"], "thread id")
    assert ids == ("t1", "t2") and isinstance(ids, CheckedIds)
    assert check_ids(ids, "thread id") is ids


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_a_missing_key_names_the_providers_own_variables(name, monkeypatch):
    provider = PROVIDERS[name]
    for variable in {v for p in PROVIDERS.values() for v in p.key_env}:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigError) as err:
        resolve_client_config(provider=name, profiles=API_PROFILES, key_setting="sources.x.api_key",
                              base_url="https://example.test/v1")
    for variable in provider.key_env:
        assert variable in str(err.value)


def test_the_key_comes_from_the_providers_first_variable_that_is_set(monkeypatch):
    monkeypatch.delenv("AZURE_AI_AGENTS_TOKEN", raising=False)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k-azure")
    monkeypatch.setenv("OPENAI_API_KEY", "k-openai")
    config = resolve_client_config(provider="foundry", profiles=API_PROFILES, key_setting="s",
                                   base_url="https://acct.services.ai.azure.com/api/projects/p")
    assert config.api_key == "k-azure"
    assert "k-azure" not in repr(config)  # the key never shows in a repr (logs, traces)


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

"""docs/design.md's "where to change what" table, kept true: each change needs only the files it lists."""

from __future__ import annotations

import re

import pytest

from openai_assistants import settings
from runsteps import cli
from sourcekit import config
from sourcekit.config import ApiProfile, Provider, resolve_client_config
from tests.helpers import REPO

DESIGN = (REPO / "docs" / "design.md").read_text()
README = (REPO / "README.md").read_text()


def test_a_new_provider_in_the_provider_table_alone_is_accepted_by_the_cli(monkeypatch):
    acme = Provider("acme", "x-acme-key", None, ("ACME_KEY",), None, "https://llm.acme.test/v1")
    monkeypatch.setitem(config.PROVIDERS, "acme", acme)
    monkeypatch.setitem(settings.API_PROFILES, "acme", ApiProfile(api_version="2026-01-01"))
    monkeypatch.setenv("ACME_KEY", "k-acme")
    args = cli.build_parser().parse_args(["load", "--provider", "acme", "--base-url", "https://llm.acme.test/v1"])
    options = cli._load_options(args)
    resolved = resolve_client_config(profiles=settings.API_PROFILES, key_setting="s", **options.api.given())
    assert resolved.headers()["x-acme-key"] == "k-acme"
    assert resolved.api_version == "2026-01-01"


def test_a_missing_key_message_names_the_new_providers_variable(monkeypatch):
    monkeypatch.setitem(config.PROVIDERS, "acme", Provider("acme", "x-acme-key", None, ("ACME_KEY",), None, "https://a.test"))
    monkeypatch.setitem(settings.API_PROFILES, "acme", ApiProfile())
    monkeypatch.delenv("ACME_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="ACME_KEY"):
        resolve_client_config(provider="acme", profiles=settings.API_PROFILES, key_setting="s", base_url="https://a.test")


@pytest.mark.parametrize("table", sorted(settings.TABLES))
def test_every_table_and_column_of_the_contract_is_documented_in_the_readme(table):
    assert f"**`{table}`**" in README
    section = README.split(f"**`{table}`**", 1)[1].split("\n\n", 1)[0]
    missing = [c for c in settings.TABLES[table]["columns"] if f"`{c}`" not in section]
    assert not missing, f"README's {table} section does not mention {missing}"


def test_the_table_lists_files_that_exist():
    table = DESIGN.split("## Where to change what", 1)[1]
    paths = set(re.findall(r"`((?:pipelines|sql|docs|tests|notebooks|specs)/[^`*]+?)`", table))
    assert paths, "the table names files"
    missing = [p for p in paths if "<" not in p and not (REPO / p.rstrip("/")).exists()]
    assert not missing, missing

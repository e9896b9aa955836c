"""The README documents every command and every option, and every command's --help has examples."""

from __future__ import annotations

import argparse

import pytest

from runsteps.cli import build_parser
from tests.helpers import REPO

README = (REPO / "README.md").read_text()


def _subcommands() -> dict:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_is_in_the_readme(command):
    assert f"runsteps {command}" in README


@pytest.mark.parametrize("command", sorted(set(_subcommands()) - {"emulate"}))
def test_every_option_is_in_the_readme(command):
    parser = _subcommands()[command]
    options = [o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    missing = [o for o in options if o not in README and not o.startswith("--no-")]
    assert not missing, f"runsteps {command}: README does not mention {missing}"


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_help_has_examples(command):
    help_text = _subcommands()[command].format_help()
    assert "example" in help_text.lower(), help_text

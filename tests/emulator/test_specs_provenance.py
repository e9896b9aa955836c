"""specs/ holds the API specs the tests read, unchanged since their extraction, and specs/README.md
tells the truth about them: the checksum it lists for each file, and the source commit each file's own
`info.x-source` names."""

from __future__ import annotations

import hashlib
import re

import yaml

from tests.helpers import SPECS_DIR

README = (SPECS_DIR / "README.md").read_text(encoding="utf-8")
SPECS = ("openai-assistants-subset.openapi.yaml", "openai-responses-subset.openapi.yaml",
         "foundry-agents-v1-subset.openapi.yaml")


def test_every_spec_file_is_listed_with_its_checksum():
    listed = dict(re.findall(r"^\| `([^`]+\.yaml)` \| `([0-9a-f]{64})` \|$", README, re.M))
    assert sorted(listed) == sorted(SPECS)  # no file missing from the page, no stale entry
    for name in SPECS:
        assert hashlib.sha256((SPECS_DIR / name).read_bytes()).hexdigest() == listed[name], name


def test_readme_names_each_files_source_and_commit():
    for name in SPECS:
        source = yaml.safe_load((SPECS_DIR / name).read_text(encoding="utf-8"))["info"]["x-source"]
        section = README.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        assert source["repository"] in section and source["path"] in section and source["commit"] in section, name

"""The code stays ruff-clean (pyproject.toml's settings), as the house style asks."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.single_pass
def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is a dev dependency: make install"
    result = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_run_installs_only_what_the_app_needs():
    """`make run` installs the project's dependencies, `make test` the dev extras too: no test tool in the former."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[=<>\[ ]", requirement, maxsplit=1)[0].lower() for requirement in project["dependencies"]}
    tools = {"pytest", "playwright", "axe-playwright-python", "schemathesis", "hypothesis", "ruff", "samplics",
             "polars", "openapi-spec-validator", "requests"}
    assert runtime.isdisjoint(tools)
    assert all("==" in requirement for requirement in project["dependencies"] + project["optional-dependencies"]["dev"])
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e .\n" in makefile
    assert "test-suite: install-dev" in makefile and "test-once: install-dev" in makefile

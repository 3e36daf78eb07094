"""Hostile questionnaire files: endless, deeply nested or unreadable input is a clear error naming the line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from imppulse_survey.config import PROJECT_ROOT
from imppulse_survey.questionnaires.loader import MAX_DEPTH, QuestionnaireFileError, load_file, parse_definition

from ..conftest import TEST_SECRET_KEY
from ..factories import as_yaml, minimal_questionnaire

TOO_LARGE = "zero: the file is larger than 1024 KB"


def problem_of(text: str | bytes) -> str:
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_definition(text, "hostile.yaml")
    [problem] = caught.value.problems
    return problem


@pytest.mark.parametrize("text, line", [
    ("[" * 100_000, 1),
    ("{a: " * 100_000, 1),
    ("- " * 100_000 + "x", 1),
    ("key: x\npages:\n" + "".join("  " * level + "a:\n" for level in range(1, 200)), 65),
])
def test_nesting_deeper_than_the_limit_is_refused_with_its_line(text, line):
    started = time.monotonic()
    problem = problem_of(text)
    assert problem.startswith(f"hostile.yaml: line {line}, column ")
    assert problem.endswith(f"not valid YAML (nested deeper than {MAX_DEPTH} levels)")
    assert time.monotonic() - started < 5


def test_nesting_within_the_limit_is_read():
    text = as_yaml(minimal_questionnaire()) + "extra: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert "unknown key" in problem_of(text)  # parsed: the schema, not the YAML reader, refuses the key


@pytest.mark.parametrize("value, problem", [
    ("2020-13-45", "this value cannot be read as timestamp"),
    ("!!timestamp soon", "this value cannot be read as timestamp"),
    ("!!bool maybe", "this value cannot be read as bool"),
    ("!!int ''", "this value cannot be read as int"),
    ("!!float x", "this value cannot be read as float"),
    ("1" * 5000, "a number longer than 32 characters"),
    ("1" + ":1" * 300_000, "a number longer than 32 characters"),  # sexagesimal: quadratic in its length
    ('"a\\0b"', "NUL or a lone surrogate (\\0, \\ud800…) cannot be stored"),
    ('"\\ud800"', "NUL or a lone surrogate (\\0, \\ud800…) cannot be stored"),
], ids=["bad-date", "bad-timestamp", "bad-bool", "empty-int", "bad-float", "5000-digits", "sexagesimal", "nul",
        "surrogate"])
def test_values_yaml_cannot_construct_are_refused_with_their_line(value, problem):
    started = time.monotonic()
    assert problem_of(f"key: test\ntitle: {value}\n") == f"hostile.yaml: line 2, column 8: not valid YAML ({problem})"
    assert time.monotonic() - started < 5


def test_a_surrogate_in_a_key_is_refused():
    assert problem_of('"\\udc00": 1\n').endswith("(NUL or a lone surrogate (\\0, \\ud800…) cannot be stored)")


def test_an_endless_file_is_read_no_further_than_the_limit():
    started = time.monotonic()
    with pytest.raises(QuestionnaireFileError) as caught:
        load_file("/dev/zero")  # stat() says 0 bytes
    assert caught.value.problems == [TOO_LARGE]
    assert time.monotonic() - started < 5


def test_check_of_an_endless_file_through_the_cli(runner):
    result = runner.invoke(args=["imppulse", "questionnaire", "check", "/dev/zero"])
    assert result.exit_code == 1 and result.output.strip() == TOO_LARGE


def test_check_of_a_deeply_nested_file_through_the_cli(runner, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000)
    result = runner.invoke(args=["imppulse", "questionnaire", "check", str(path)])
    assert result.exit_code == 1
    assert result.output.strip() == "deep.yaml: line 1, column 65: not valid YAML (nested deeper than 64 levels)"


def test_check_of_an_endless_file_in_a_real_process(database_url, tmp_path):
    environ = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY, "IMPPULSE_ENV": "testing"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "imppulse", "questionnaire", "check", "/dev/zero"],
        cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 1 and result.stderr.strip() == TOO_LARGE

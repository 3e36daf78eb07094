"""Conditions (``show_if`` and indicator ``base``): their structure and their evaluation.

A condition is a small tree: ``{item, equals|in|answered}`` leaves combined with ``not``, ``all`` and ``any``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

LEAF_TESTS = ("equals", "in", "answered")
MAX_DEPTH = 8


def condition_problems(condition, depth: int = 0) -> Iterator[tuple[tuple, str]]:
    """Yield ``(relative path, problem)`` for every structural fault in a condition."""
    if depth > MAX_DEPTH:
        yield (), f"conditions may be nested at most {MAX_DEPTH} deep"
        return
    if not isinstance(condition, Mapping):
        yield (), "a condition must be a mapping"
        return
    combinators = [key for key in ("not", "all", "any") if key in condition]
    if combinators:
        if len(condition) != 1:
            yield (), f"'{combinators[0]}' must stand alone in its condition"
            return
        key = combinators[0]
        if key == "not":
            yield from _prefixed(("not",), condition_problems(condition["not"], depth + 1))
            return
        parts = condition[key]
        if not isinstance(parts, list) or not parts:
            yield (key,), "must be a non-empty list of conditions"
            return
        for index, part in enumerate(parts):
            yield from _prefixed((key, index), condition_problems(part, depth + 1))
        return
    unknown = set(condition) - {"item", *LEAF_TESTS}
    for key in sorted(map(str, unknown)):
        yield (key,), "unknown key in a condition (expected item with equals, in or answered; or not, all, any)"
    if not isinstance(condition.get("item"), str):
        yield ("item",), "must name an item"
    tests = [key for key in LEAF_TESTS if key in condition]
    if len(tests) != 1:
        yield (), "a condition on an item needs exactly one of: equals, in, answered"
        return
    test = tests[0]
    value = condition[test]
    if test == "equals" and not _is_code(value):
        yield ("equals",), "must be a whole number"
    elif test == "in" and not (isinstance(value, list) and value and all(_is_code(v) for v in value)):
        yield ("in",), "must be a non-empty list of whole numbers"
    elif test == "answered" and not isinstance(value, bool):
        yield ("answered",), "must be true or false"


def referenced_leaves(condition, path: tuple = ()) -> Iterator[tuple[tuple, Mapping]]:
    """Yield ``(relative path, leaf)`` for every ``{item: …}`` leaf of a well-formed condition."""
    if "not" in condition:
        yield from referenced_leaves(condition["not"], path + ("not",))
    elif "all" in condition or "any" in condition:
        key = "all" if "all" in condition else "any"
        for index, part in enumerate(condition[key]):
            yield from referenced_leaves(part, path + (key, index))
    else:
        yield path, condition


def evaluate(condition: Mapping, answers: Mapping) -> bool:
    """Whether a condition holds for ``answers``: item key → code, list of codes, missing-code name or absent."""
    if "not" in condition:
        return not evaluate(condition["not"], answers)
    if "all" in condition:
        return all(evaluate(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(evaluate(part, answers) for part in condition["any"])
    given = answers.get(condition["item"])
    substantive = _substantive_codes(given)
    if "answered" in condition:
        return bool(substantive) == condition["answered"]
    wanted = {condition["equals"]} if "equals" in condition else set(condition["in"])
    return bool(substantive & wanted)


def _substantive_codes(given) -> set:
    if given is None or isinstance(given, str):  # absent, or a missing-value code such as "dont_know"
        return set()
    if isinstance(given, list):
        return set(given)
    return {given}


def _is_code(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _prefixed(prefix: tuple, problems):
    for path, message in problems:
        yield prefix + path, message

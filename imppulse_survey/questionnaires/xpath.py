"""The small part of XLSForm's expression language (XPath) that maps onto the questionnaire format.

An XLSForm says who sees a question in its ``relevant`` column and what an answer may be in ``constraint``:
``selected(${contact}, '1') and ${age} != ''``, ``. >= 0 and . <= 120``. This module parses such an expression into
a tree, reads a ``relevant`` as a condition (``conditions.py``), and reads the constraints our item types write
(bounds of a number, the length of a text, choices that stand alone). Writing goes the other way, item type by
item type (``ItemType.xlsform_equals``, ``xlsform_answered``). Whatever falls outside raises ``Untranslatable``,
which the XLSForm reader reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .types.base import MISSING_KINDS


class Untranslatable(ValueError):
    """An expression that the questionnaire format cannot say; the message says what."""


_TOKEN = re.compile(r"""\s*(?:(?P<ref>\$\{[^}]*\})|(?P<str>'[^']*'|"[^"]*")|(?P<num>-?\d+(?:\.\d+)?)"""
                    r"""|(?P<op>!=|<=|>=|=|<|>)|(?P<punct>[(),])|(?P<dot>\.(?![\w.]))|(?P<name>[A-Za-z_][\w:.-]*))""")
#: the longest expression parsed: a relevant of a real form is a line or two
MAX_LENGTH = 2000
MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}


def tokens(expression: str) -> list[tuple[str, str]]:
    if len(expression) > MAX_LENGTH:
        raise Untranslatable(f"longer than {MAX_LENGTH} characters")
    found, position = [], 0
    expression = expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            raise Untranslatable(f"cannot read {expression[position:position + 20]!r}")
        found.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return found


class _Parser:
    """``or`` of ``and`` of comparisons of operands; nodes are tuples: ``("or", [nodes])``, ``("and", [nodes])``,
    ``("not", node)``, ``("cmp", op, left, right)``, ``("call", name, [nodes])``, ``("ref", name)``, ``("dot",)``,
    ``("str", text)``, ``("num", text)``."""

    def __init__(self, expression: str):
        self.tokens = tokens(expression)
        self.at = 0

    def parse(self):
        node = self.either()
        if self.at != len(self.tokens):
            raise Untranslatable(f"unexpected {self.tokens[self.at][1]!r}")
        return node

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise Untranslatable(f"expected {value or 'more'}")
        self.at += 1
        return token

    def either(self):
        return self._joined("or", self.both)

    def both(self):
        return self._joined("and", self.comparison)

    def _joined(self, word: str, part):
        parts = [part()]
        while self.peek() == ("name", word):
            self.take()
            parts.append(part())
        return parts[0] if len(parts) == 1 else (word, parts)

    def comparison(self):
        left = self.operand()
        token = self.peek()
        if token is not None and token[0] == "op":
            self.take()
            return ("cmp", token[1], left, self.operand())
        return left

    def operand(self):
        kind, value = self.take()
        if value == "(":
            node = self.either()
            self.take(")")
            return node
        if kind == "ref":
            return ("ref", value[2:-1].strip())
        if kind == "str":
            return ("str", value[1:-1])
        if kind in ("num", "dot"):
            return (kind, value) if kind == "num" else ("dot",)
        if kind == "name" and self.peek() == ("punct", "("):
            self.take()
            arguments = []
            while self.peek() != ("punct", ")"):
                arguments.append(self.either())
                if self.peek() == ("punct", ","):
                    self.take()
            self.take(")")
            return ("not", arguments[0]) if value == "not" and len(arguments) == 1 else ("call", value, arguments)
        raise Untranslatable(f"unexpected {value!r}")


def parse(expression: str):
    return _Parser(expression).parse()


# relevant → condition

#: what a condition needs to know of the question a reference names: its item key, each choice name's code (or
#: missing kind), and whether it holds a number rather than a choice
Lookup = Callable[[str], tuple[str, Mapping[str, int | str], bool]]


def condition(expression: str, lookup: Lookup) -> dict:
    """The condition (``show_if``) an XLSForm ``relevant`` says, or Untranslatable."""
    return _condition(parse(expression), lookup)


def _condition(node, lookup: Lookup) -> dict:
    kind = node[0]
    if kind == "not":
        inner = _condition(node[1], lookup)
        if "not" in inner:
            return inner["not"]
        if "answered" in inner:
            return {**inner, "answered": not inner["answered"]}
        return {"not": inner}
    if kind == "or":
        parts = [_condition(part, lookup) for part in node[1]]
        items = {part.get("item") for part in parts}
        if len(items) == 1 and None not in items and all(set(part) <= {"item", "equals", "in"} for part in parts):
            codes = [code for part in parts for code in ([part["equals"]] if "equals" in part else part["in"])]
            return {"item": parts[0]["item"], "in": sorted(set(codes))}
        return {"any": parts}
    if kind == "and":
        return _conjunction(node[1], lookup)
    return _leaf(node, lookup)


def _conjunction(nodes, lookup: Lookup) -> dict:
    """``all`` of the parts; ``${x} != '' and not(selected(${x}, 'dont_know'))`` is one test: x is answered."""
    answered = set()
    parts, missing_tests = [], []
    for node in nodes:
        tested = _missing_test(node, lookup)
        if tested is not None:
            missing_tests.append(tested)
            continue
        part = _condition(node, lookup)
        if part.get("answered") is True:
            answered.add(part["item"])
        parts.append(part)
    for key in missing_tests:
        if key not in answered:
            raise Untranslatable(f"a test of a missing-value code of {key!r} (conditions test substantive answers)")
    return parts[0] if len(parts) == 1 else {"all": parts}


def _missing_test(node, lookup: Lookup) -> str | None:
    """The item key of ``not(selected(${x}, 'dont_know'))``, else None."""
    if node[0] != "not" or node[1][0] != "call" or node[1][1] != "selected" or len(node[1][2]) != 2:
        return None
    reference, value = node[1][2]
    if reference[0] != "ref" or value[0] != "str" or value[1] not in MISSING_KINDS:
        return None
    return lookup(reference[1])[0]


def _leaf(node, lookup: Lookup) -> dict:
    kind = node[0]
    if kind == "call" and node[1] == "selected" and len(node[2]) == 2 and node[2][0][0] == "ref":
        key, codes, _ = lookup(node[2][0][1])
        return {"item": key, "equals": _code(node[2][1], codes, key)}
    if kind == "cmp":
        op, left, right = node[1], node[2], node[3]
        if left[0] != "ref" and right[0] == "ref":
            op, left, right = MIRRORED[op], right, left
        counted = _counted(left)
        if counted is not None and right[0] == "num":
            some = {(">", "0"), (">=", "1"), ("!=", "0")}
            if (op, right[1]) not in some and (op, right[1]) != ("=", "0"):
                raise Untranslatable(f"a count of answers other than none or some ({op} {right[1]})")
            return {"item": lookup(counted)[0], "answered": (op, right[1]) in some}
        if left[0] == "ref":
            key, codes, is_number = lookup(left[1])
            if right[0] == "str" and right[1] == "" and op in ("=", "!="):
                return {"item": key, "answered": op == "!="}
            if op == "=":
                return {"item": key, "equals": _code(right, codes, key)}
            if op == "!=":
                return {"not": {"item": key, "equals": _code(right, codes, key)}}
            if not is_number and right[0] in ("num", "str"):
                limit = _number(right[1])
                chosen = sorted(code for code in codes.values() if isinstance(code, int) and _holds(code, op, limit))
                if chosen:
                    return {"item": key, "in": chosen}
    raise Untranslatable(f"cannot be said as a condition: {_spelled(node)}")


def _counted(node) -> str | None:
    """The reference counted by ``count-selected(${x})`` or ``string-length(${x})``."""
    if node[0] == "call" and node[1] in ("count-selected", "string-length") and len(node[2]) == 1 \
            and node[2][0][0] == "ref":
        return node[2][0][1]
    return None


def _code(node, codes: Mapping[str, int | str], key: str) -> int:
    if node[0] not in ("str", "num"):
        raise Untranslatable(f"{key!r} is compared with something other than a value")
    code = codes.get(node[1])
    if code is None and re.fullmatch(r"-?\d+", node[1]):
        code = int(node[1])
    if isinstance(code, str):
        raise Untranslatable(f"a test of the missing-value code {code!r} of {key!r} "
                             "(conditions test substantive answers)")
    if code is None:
        raise Untranslatable(f"{node[1]!r} is not a choice of {key!r}")
    return code


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise Untranslatable(f"{text!r} is not a number") from None


def _holds(code: int, op: str, limit: float) -> bool:
    return {"<": code < limit, "<=": code <= limit, ">": code > limit, ">=": code >= limit}[op]


def _spelled(node) -> str:
    kind = node[0]
    if kind in ("or", "and"):
        return f" {kind} ".join(_spelled(part) for part in node[1])
    if kind == "not":
        return f"not({_spelled(node[1])})"
    if kind == "cmp":
        return f"{_spelled(node[2])} {node[1]} {_spelled(node[3])}"
    if kind == "call":
        return f"{node[1]}({', '.join(_spelled(part) for part in node[2])})"
    return {"ref": lambda: f"${{{node[1]}}}", "str": lambda: f"'{node[1]}'", "num": lambda: node[1],
            "dot": lambda: "."}[kind]()


# constraints our item types write

def _conjuncts(constraint: str) -> list:
    if not constraint.strip():
        return []
    try:
        node = parse(constraint)
    except Untranslatable:
        return [None]
    return node[1] if node[0] == "and" else [node]


def bounds(constraint: str, whole: bool) -> tuple[float, float] | None:
    """``(min, max)`` of ``. >= 0 and . <= 120`` (``.>0`` on a whole number: 1), or None."""
    low = high = None
    for node in _conjuncts(constraint):
        if node is None or node[0] != "cmp":
            return None
        op, left, right = node[1], node[2], node[3]
        if right[0] == "dot":
            op, left, right = MIRRORED[op], right, left
        if left[0] != "dot" or right[0] != "num":
            return None
        value = float(right[1])
        step = 1 if whole else 0
        if op in (">", ">="):
            low = value + (step if op == ">" else 0)
        elif op in ("<", "<="):
            high = value - (step if op == "<" else 0)
        else:
            return None
    if low is None or high is None:
        return None
    return (int(low), int(high)) if whole and low.is_integer() and high.is_integer() else (low, high)


def longest_text(constraint: str) -> int | None:
    """N of ``string-length(.) <= N`` (``< N``: N - 1), or None."""
    nodes = _conjuncts(constraint)
    if len(nodes) != 1 or nodes[0] is None or nodes[0][0] != "cmp":
        return None
    op, left, right = nodes[0][1], nodes[0][2], nodes[0][3]
    if left != ("call", "string-length", [("dot",)]) or right[0] != "num" or op not in ("<", "<="):
        return None
    return int(float(right[1])) - (1 if op == "<" else 0)


def standing_alone(constraint: str) -> list[str]:
    """The choices that ``not(selected(., 'x') and count-selected(.) > 1)`` keeps alone, when the whole
    constraint is made of such tests; else none."""
    names = []
    for node in _conjuncts(constraint):
        if node is None or node[0] != "not" or node[1][0] != "and" or len(node[1][1]) != 2:
            return []
        chosen, count = node[1][1]
        if chosen[0] != "call" or chosen[1] != "selected" or chosen[2][:1] != [("dot",)] or len(chosen[2]) != 2 \
                or count != ("cmp", ">", ("call", "count-selected", [("dot",)]), ("num", "1")):
            return []
        names.append(chosen[2][1][1])
    return names

"""Choices among labelled options: one, one of five agreement points, several, or one per row of a grid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .. import xpath
from .base import (
    LONGEST_NUMBER_JSON,
    MAX_CODE,
    MAX_FORM_VALUE_LENGTH,
    AnswerProblem,
    ItemType,
    MicrodataColumn,
    Stored,
)


class _Options(ItemType):
    allowed_keys = frozenset({"options", "scale"})

    def structure_problems(self, item):
        if ("options" in item) == ("scale" in item):
            yield (), "needs either options or scale, not both"

    def codes(self, item):
        return [option["code"] for option in item.get("options", []) if "code" in option]

    def api_view(self, item, say):
        return {"options": [dict(option, label=say(option["label"])) for option in item["options"]]}

    def from_xlsform(self, question):
        return {"type": self.name, "options": self._xlsform_options(question)}


class SingleChoice(_Options):
    name = "single_choice"
    is_category = True
    problem = _l("Choose one of the options.")
    xlsform_types = ("select_one",)
    xlsform_default = True

    def clean_substantive(self, item, raw, context):
        code = self._as_integer(raw)
        if code is None or code not in self.codes(item):
            raise AnswerProblem(self.problem)
        return code


class Likert(SingleChoice):
    name = "likert"
    macro = "single_choice"
    LENGTH = 5

    def option_problems(self, options):
        yield from super().option_problems(options)
        if len(options) != self.LENGTH:
            yield f"a likert item needs exactly {self.LENGTH} options"


class MultipleChoice(_Options):
    name = "multiple_choice"
    holds_one_number = False
    xlsform_types = ("select_multiple",)
    xlsform_default = True

    def option_problems(self, options):
        return iter(())

    def clean_substantive(self, item, raw, context):
        raw_codes = raw if isinstance(raw, list) else [raw]
        codes = [self._as_integer(code) for code in raw_codes]
        offered = set(self.codes(item))  # once, not once per code: a body can hold a list of 200,000 codes
        if not codes or any(code is None or code not in offered for code in codes):
            raise AnswerProblem(_l("Choose one or more of the options."))
        exclusive = {option["code"] for option in item["options"] if option.get("exclusive")}
        if len(codes) > 1 and exclusive & set(codes):
            raise AnswerProblem(_l("This option cannot be combined with the others."))
        return sorted(set(codes))

    def stored(self, item, key, cleaned):
        if isinstance(cleaned, str):
            return [Stored(key, missing=cleaned)]
        return [Stored(key, value=float(code)) for code in cleaned]

    def microdata_columns(self, item):
        return [MicrodataColumn(f"{item['key']}_{code}", item["key"], option_code=code) for code in self.codes(item)]

    def value_labels(self, item, say):
        return {}  # each option is a variable of its own, labelled with the option: 1 chosen, 0 not

    def longest_json(self, item):
        return 2 + len(self.codes(item)) * (len(str(MAX_CODE)) + 1) + LONGEST_NUMBER_JSON

    def read_form(self, item, key, form):
        values = [value[:MAX_FORM_VALUE_LENGTH] for value in form.getlist(key) if value != ""]
        if not values:
            return None
        return values[0] if len(values) == 1 and values[0] in item.get("missing", []) else values

    def to_xlsform(self, item, out):
        # an exclusive option ("none of these") and a missing code stand alone, as ``clean`` wants them
        alone = [str(option["code"]) for option in item["options"] if option.get("exclusive")] + item.get("missing", [])
        constraint = " and ".join(f"not(selected(., '{name}') and count-selected(.) > 1)" for name in alone)
        out.question(self.xlsform_types[0], item, choices=self.xlsform_choices(item, out), constraint=constraint,
                     constraint_message=_l("This option cannot be combined with the others.") if alone else None)

    def from_xlsform(self, question):
        read = super().from_xlsform(question)
        alone = set(xpath.standing_alone(question.constraint))
        for option in read["options"]:
            if any(question.code_of.get(name) == option["code"] for name in alone):
                option["exclusive"] = True
        if question.constraint and not alone:
            question.unmapped.append(f"{question.name}: constraint not translated: {question.constraint}")
        return read

    def from_collected(self, item, value):
        names = value.split()  # XLSForm keeps the choices of a select_multiple as names separated by spaces
        if not names:
            return None
        return names[0] if len(names) == 1 and names[0] in item.get("missing", []) else names

    def simulated(self, item, key, rng, leaning, context):
        if leaning is not None:
            return [super().simulated(item, key, rng, leaning, context)]
        plain = [option["code"] for option in item["options"] if not option.get("exclusive")]
        return sorted(rng.sample(plain, k=rng.randint(1, min(2, len(plain)))))


class Grid(SingleChoice):
    """Several rows sharing one scale; each row is answered, stored and used in indicators under its own key."""

    name = "grid"
    is_category = False
    allowed_keys = frozenset({"options", "scale", "rows"})
    required_keys = frozenset({"rows"})

    xlsform_types = ("table-list",)  # a group of select_one questions sharing one list
    xlsform_default = True

    def answer_key_paths(self, item):
        return [(row.get("key"), ("rows", index, "key")) for index, row in enumerate(item.get("rows") or [])]

    def to_xlsform(self, item, out):
        choices = self.xlsform_choices(item, out)
        with out.group(item):
            for row in item["rows"]:
                out.question("select_one", item, name=row["key"], text=row["text"], choices=choices, list_name=item["key"])

    def from_xlsform(self, question):
        rows = [row for row in question.rows if row.xlsform_type == "select_one"]
        if len(rows) != len(question.rows):
            question.unmapped.append(f"{question.name}: only its select_one questions are rows of a grid")
        if not rows:
            return {"type": self.name, "rows": []}
        options = self._xlsform_options(rows[0])
        question.code_of, question.missing = rows[0].code_of, rows[0].missing
        question.unmapped.extend(rows[0].unmapped)
        if any([choice.name for choice in row.choices] != [choice.name for choice in rows[0].choices] for row in rows):
            question.unmapped.append(f"{question.name}: its rows' choices differ; the first row's are kept")
        return {"type": self.name, "options": options, "rows": [{"key": row.name, "text": row.label} for row in rows]}

    def api_view(self, item, say):
        return {**super().api_view(item, say), "rows": [{"key": row["key"], "text": say(row["text"])}
                                                        for row in item["rows"]]}

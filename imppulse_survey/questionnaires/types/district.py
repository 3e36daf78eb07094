"""The district of the campaign's city: its codes are only known once a campaign is chosen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .base import AnswerProblem, ItemType


class DistrictChoice(ItemType):
    name = "district"
    holds_district = True
    holds_one_number = False  # a response's district is a column of its own, which tables break figures down by
    indicator_kinds = frozenset()
    xlsform_types = ("select_one",)

    def microdata_columns(self, item):
        return []  # the response's district: a quasi-identifier, which microdata coarsens (``exports.anonymity``)

    def clean_substantive(self, item, raw, context):
        code = self._as_integer(raw)
        if code is None or (context.district_codes is not None and code not in context.district_codes):
            raise AnswerProblem(_l("Choose your district from the list."))
        return code

    def xlsform_choices(self, item, out):
        # the campaign's city's districts, by code, in every language under their own name
        return [(str(code), {language: name for language in out.languages}) for code, name in out.districts] \
            + out.missing_choices(item)

    def from_xlsform(self, question):
        self._xlsform_options(question)  # the codes, for conditions; the list itself is the campaign's city's
        question.unmapped.append(f"{question.name}: a district item's choices are the campaign's city's districts; "
                                 "the form's list is not kept")
        return {"type": self.name}

    def simulated(self, item, key, rng, leaning, context):
        return rng.choice(sorted(context.district_codes)) if context.district_codes else None

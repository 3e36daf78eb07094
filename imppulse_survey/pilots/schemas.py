"""The pilots' API documents: a pilot's registry entry and its evaluation (``evaluation.evaluate``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api.schemas import FigureFields, MirrorPairSchema, StrictSchema, WaveFigureSchema
from ..config import SUPPORTED_LANGUAGES
from .models import ACTION_STATUSES

GROUP_STATUSES = ("estimate", "no_data", "suppressed", "not_enough_variation", "no_population")
ROW_STATUSES = (*GROUP_STATUSES, "series_break")
TEXTS = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                    metadata={"description": "The text in each language it was written in."})


class LanguageQuery(StrictSchema):
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES), load_default="en")


class TargetSchema(Schema):
    indicator = fields.String(required=True)
    baseline_value = fields.Float(required=True)
    target_value = fields.Float(required=True)


class ActionSchema(Schema):
    name = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(ACTION_STATUSES))
    owner = fields.String(required=True)


class BudgetLineSchema(Schema):
    label = fields.String(required=True)
    planned_eur = fields.Decimal(required=True, as_string=True)
    spent_eur = fields.Decimal(required=True, as_string=True)


class RevisionSchema(Schema):
    made_dt = fields.DateTime(required=True, data_key="made")
    reason = fields.String(required=True)
    reissued = fields.List(fields.String(), required=True, metadata={"description": "Waves whose releases were "
                                                                                    "reissued."})
    after_baseline = fields.Boolean(required=True)


class WavePairSchema(Schema):
    campaign = fields.String(required=True)
    baseline = fields.String(required=True)
    follow_up = fields.String(required=True)


class PilotSummarySchema(Schema):
    slug = fields.String(required=True)
    city = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "In the language asked for where written in it."})
    declared = fields.DateTime(required=True)


class PilotListSchema(Schema):
    pilots = fields.List(fields.Nested(PilotSummarySchema), required=True)


class PilotSchema(PilotSummarySchema):
    titles = TEXTS
    description = TEXTS
    objectives = TEXTS
    declared_after_baseline = fields.Boolean(required=True)
    residents = fields.Nested(WavePairSchema, required=True)
    officers = fields.Nested(WavePairSchema, allow_none=True, required=True)
    pilot_districts = fields.List(fields.Integer(), required=True)
    comparison_districts = fields.List(fields.Integer(), required=True)
    primary_indicator = fields.String(required=True)
    targets = fields.List(fields.Nested(TargetSchema), required=True)
    actions = fields.List(fields.Nested(ActionSchema), required=True)
    budget = fields.List(fields.Nested(BudgetLineSchema), required=True)
    revisions = fields.List(fields.Nested(RevisionSchema), required=True)


class GroupFigureSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(GROUP_STATUSES))
    estimate = fields.Float(allow_none=True, required=True)
    ci_low = fields.Float(allow_none=True, required=True)
    ci_high = fields.Float(allow_none=True, required=True)
    n = fields.Integer(allow_none=True, required=True)


class GroupSchema(Schema):
    baseline = fields.Nested(GroupFigureSchema, required=True)
    follow_up = fields.Nested(GroupFigureSchema, required=True)
    change = fields.Nested(GroupFigureSchema, required=True)


class DifferenceSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(GROUP_STATUSES))
    estimate = fields.Float(allow_none=True, required=True, metadata={
        "description": "Pilot districts' change minus comparison districts' change (points)."})
    ci_low = fields.Float(allow_none=True, required=True)
    ci_high = fields.Float(allow_none=True, required=True)
    p_value = fields.Float(allow_none=True, required=True)


class PlaceboSchema(Schema):
    rank = fields.Integer(required=True)
    of = fields.Integer(required=True)


class ResidentTargetSchema(Schema):
    indicator = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    primary = fields.Boolean(required=True)
    baseline_value = fields.Float(required=True)
    target_value = fields.Float(required=True)
    uncertainty = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ROW_STATUSES))
    series_break_languages = fields.List(fields.String())
    pilot = fields.Nested(GroupSchema)
    comparison = fields.Nested(GroupSchema)
    difference = fields.Nested(DifferenceSchema)
    target_reached = fields.String(required=True, validate=validate.OneOf(("yes", "no", "cannot_tell")))
    placebo = fields.Nested(PlaceboSchema, allow_none=True, required=True, metadata={
        "description": "With eight districts or more: the pilot group's change ranked among every other "
                       "district's (1: none moved further towards the target)."})


class ViewFigureSchema(FigureFields):
    indicator = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)


class OfficerChangeSchema(Schema):
    indicator = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    series_break_languages = fields.List(fields.String())
    method = fields.String(required=True)
    sampling_error_only = fields.Boolean(required=True)
    from_ = fields.Nested(WaveFigureSchema, data_key="from", required=True)
    to = fields.Nested(WaveFigureSchema, required=True)
    difference = fields.Float()
    ci_low = fields.Float()
    ci_high = fields.Float()
    p_value = fields.Float()


class ReleasedSchema(Schema):
    baseline = fields.Boolean(required=True)
    follow_up = fields.Boolean(required=True)


class EvaluationSchema(Schema):
    pilot = fields.String(required=True)
    summary = fields.List(fields.String(), required=True, metadata={
        "description": "One plain-language sentence per target indicator, in the language asked for."})
    residents = fields.List(fields.Nested(ResidentTargetSchema), required=True)
    residents_view = fields.List(fields.Nested(ViewFigureSchema), required=True)
    officers = fields.List(fields.Nested(OfficerChangeSchema), required=True)
    mirror = fields.List(fields.Nested(MirrorPairSchema), required=True)
    released = fields.Nested(ReleasedSchema, required=True)
    methodology = fields.String(required=True)

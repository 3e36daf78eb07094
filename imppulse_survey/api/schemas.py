"""The API's contract: marshmallow schemas that validate input, shape output and feed the OpenAPI document."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, post_dump, validate

from ..config import SUPPORTED_LANGUAGES


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LanguageQuerySchema(StrictSchema):
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES),
                         metadata={"description": "Language of the texts (default: the campaign's)."})


class OptionSchema(Schema):
    code = fields.Integer(required=True)
    label = fields.String(required=True)
    exclusive = fields.Boolean()


class MissingCodeSchema(Schema):
    key = fields.String(required=True, metadata={"description": "Send this string as the answer."})
    code = fields.Integer(required=True)
    label = fields.String(required=True)


class GridRowSchema(Schema):
    key = fields.String(required=True)
    text = fields.String(required=True)


class AnchorsSchema(Schema):
    low = fields.String(required=True)
    high = fields.String(required=True)


class ItemSchema(Schema):
    key = fields.String(required=True)
    type = fields.String(required=True)
    text = fields.String(required=True)
    help = fields.String()
    required = fields.Boolean(required=True)
    missing = fields.List(fields.Nested(MissingCodeSchema), required=True)
    show_if = fields.Dict(metadata={"description": "Condition on earlier answers (see the questionnaire format)."})
    options = fields.List(fields.Nested(OptionSchema))
    rows = fields.List(fields.Nested(GridRowSchema))
    anchors = fields.Nested(AnchorsSchema)
    min = fields.Float()
    max = fields.Float()
    integer = fields.Boolean()
    unit = fields.String()
    max_length = fields.Integer()


class PageSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    intro = fields.String()
    show_if = fields.Dict()
    items = fields.List(fields.Nested(ItemSchema), required=True)


class DistrictSchema(Schema):
    code = fields.Integer(required=True)
    name = fields.String(required=True)


class QuestionnaireSchema(Schema):
    campaign = fields.String(required=True)
    questionnaire = fields.String(required=True)
    version = fields.Integer(required=True)
    language = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    access_mode = fields.String(required=True, metadata={"description": "open, or invitation (send a token)."})
    title = fields.String(required=True)
    introduction = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    pages = fields.List(fields.Nested(PageSchema), required=True)
    districts = fields.List(fields.Nested(DistrictSchema), required=True)


class SubmissionSchema(StrictSchema):
    submission_id = fields.UUID(required=True, metadata={"description": "Random, chosen by the client; a repeat returns the first result."})
    language = fields.String(required=True, validate=validate.OneOf(SUPPORTED_LANGUAGES))
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), required=True,
                          metadata={"description": "Answer key → code, list of codes, number, text or missing-value key."})
    token = fields.String(validate=validate.Length(max=100), metadata={
        "description": "Invitation token (invitation campaigns): spent with these answers, which are sealed until "
                       "the wave is released."})


class SubmittedSchema(Schema):
    @post_dump
    def without_receipt(self, data, **kwargs):
        if data.get("response_id") is None:
            data.pop("response_id", None)
        return data

    response_id = fields.Integer(metadata={"description": "The stored response (open campaigns only: an officer's "
                                                          "sealed answers get no receipt)."})
    created = fields.Boolean(required=True, metadata={"description": "false when this submission_id was stored before."})
    sealed = fields.Boolean(required=True, metadata={"description": "true for an invitation campaign: the answers are "
                                                                    "sealed until their wave is released."})


class ErrorSchema(Schema):
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    problems = fields.Dict(keys=fields.String(), values=fields.Raw(),
                           metadata={"description": "Each problem by field or answer key."})


class IndicatorQuerySchema(StrictSchema):
    by = fields.String(load_default="", metadata={"description": "Comma-separated breakdowns: district, wave, "
                                                                  "or the key of any single-choice item (age_band, gender…)."})
    wave = fields.String(metadata={"description": "Comma-separated wave labels (default: all)."})
    weighted = fields.Boolean(load_default=False)
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES), load_default="en")


class CellSchema(Schema):
    dimensions = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    n = fields.Integer(allow_none=True, required=True)
    estimate = fields.Float(allow_none=True, required=True)
    ci_low = fields.Float(allow_none=True, required=True)
    ci_high = fields.Float(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)
    interpret_with_care = fields.Boolean(required=True, metadata={"description": "Base under 30 respondents."})
    uniform = fields.Boolean(required=True, metadata={"description": "Every respondent gave the same answer."})


class IndicatorTableSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "mean (a 0-100 score) or proportion (%)."})
    mirror_of = fields.String(allow_none=True)
    cells = fields.List(fields.Nested(CellSchema), required=True)


class IndicatorsSchema(Schema):
    campaign = fields.String(required=True)
    weighted = fields.Boolean(required=True)
    by = fields.List(fields.String(), required=True)
    waves = fields.List(fields.String(), required=True)
    indicators = fields.List(fields.Nested(IndicatorTableSchema), required=True)


class ChangeQuerySchema(StrictSchema):
    from_ = fields.String(required=True, data_key="from", metadata={"description": "Label of the earlier wave."})
    to = fields.String(required=True, metadata={"description": "Label of the later wave."})
    weighted = fields.Boolean(load_default=False)


class EstimateSchema(Schema):
    n = fields.Integer(required=True)
    estimate = fields.Float(required=True)
    ci_low = fields.Float(required=True)
    ci_high = fields.Float(required=True)


class WaveEstimateSchema(EstimateSchema):
    wave = fields.String(required=True)


class ChangeSchema(Schema):
    campaign = fields.String(required=True)
    indicator = fields.String(required=True)
    kind = fields.String(required=True)
    suppressed = fields.Boolean(required=True)
    from_ = fields.Nested(WaveEstimateSchema, data_key="from")
    to = fields.Nested(WaveEstimateSchema)
    difference = fields.Float()
    ci_low = fields.Float()
    ci_high = fields.Float()
    p_value = fields.Float()


class MirrorQuerySchema(StrictSchema):
    wave = fields.String(metadata={"description": "Wave label present in both campaigns (default: all waves)."})
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES), load_default="en")


class MirrorPairSchema(Schema):
    resident_indicator = fields.String(required=True)
    officer_indicator = fields.String(required=True)
    label = fields.String(required=True)
    suppressed = fields.Boolean(required=True)
    residents = fields.Nested(EstimateSchema)
    officers = fields.Nested(EstimateSchema)
    gap = fields.Float(metadata={"description": "Officers' figure minus residents' (percentage points)."})
    gap_ci_low = fields.Float()
    gap_ci_high = fields.Float()
    p_value = fields.Float()


class MirrorSchema(Schema):
    city = fields.String(required=True)
    wave = fields.String(allow_none=True)
    pairs = fields.List(fields.Nested(MirrorPairSchema), required=True)

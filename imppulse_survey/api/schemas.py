"""The API's contract: marshmallow schemas that validate input, shape output and feed the OpenAPI document."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

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
    token = fields.String(validate=validate.Length(max=100), metadata={"description": "Invitation token (invitation campaigns)."})


class SubmittedSchema(Schema):
    response_id = fields.Integer(required=True)
    created = fields.Boolean(required=True)


class ErrorSchema(Schema):
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    problems = fields.Dict(keys=fields.String(), values=fields.Raw(),
                           metadata={"description": "Each problem by field or answer key."})

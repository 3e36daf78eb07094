"""The API's contract: marshmallow schemas that validate input, shape output and feed the OpenAPI document."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, validate, validates_schema

from ..config import SUPPORTED_LANGUAGES
from ..releases.noise import N_ROUNDING


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LanguageQuerySchema(StrictSchema):
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES),
                         metadata={"description": "Language of the texts (default: the campaign's)."})


class OptionSchema(Schema):
    code = fields.Integer(required=True)
    label = fields.String(metadata={"description": "Absent where the code speaks for itself (an estimate)."})
    exclusive = fields.Boolean()
    estimated_percentage = fields.Integer(metadata={"description": "An estimate out of 10, as a percentage."})


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
    shown_as = fields.String(metadata={"description": "estimated_percentage: an estimate out of 10 (estimate_10), "
                                                      "shown and scored as a percentage."})


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


STATUS_DESCRIPTION = ("estimate: the figure and its 95% interval; suppressed: hidden to protect respondents (no "
                      "figure, not even n); not_enough_variation, nearly_all, nearly_none: n only, since a figure "
                      "would reveal the few who differ; weighted_only: asked unweighted, a cell published weighted "
                      "only (a weighting class inside it is smaller than the threshold): n only; no_data: no release "
                      "of the wave, or nobody in the cell.")
FIGURE_STATUSES = ("estimate", "suppressed", "not_enough_variation", "nearly_all", "nearly_none", "weighted_only",
                   "no_data")
#: series_break: the two waves answered versions that ask the indicator differently in one of the campaign's
#: languages (series_break_languages): no change is computed
CHANGE_STATUSES = (*FIGURE_STATUSES, "series_break")
#: not_comparable: the officers' side does not estimate the residents' percentage (version 1 of the officers'
#: questionnaire asked whether "most residents" agree): both sides are shown, no gap
MIRROR_STATUSES = (*FIGURE_STATUSES, "not_comparable")


class IndicatorQuerySchema(StrictSchema):
    by = fields.String(load_default="", metadata={
        "description": "Breakdowns of a releasable table, comma-separated: none (the total); residents: district, "
                       "age_band, gender, police_contact, or district with one of the other three; officers: one "
                       "background item (service_length, role_type). Anything else is for microdata only."})
    wave = fields.String(metadata={"description": "Comma-separated wave labels (default: every released wave)."})
    weighted = fields.Boolean(load_default=False)
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES), load_default="en")


class FigureFields(Schema):
    status = fields.String(required=True, validate=validate.OneOf(FIGURE_STATUSES),
                           metadata={"description": STATUS_DESCRIPTION})
    n = fields.Integer(allow_none=True, required=True, metadata={"description": "Unweighted base."})
    estimate = fields.Float(allow_none=True, required=True, metadata={"description": "Rounded to one decimal."})
    ci_low = fields.Float(allow_none=True, required=True)
    ci_high = fields.Float(allow_none=True, required=True)


class CellSchema(FigureFields):
    dimensions = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                             metadata={"description": "The wave's label and the cell's category in each breakdown "
                                                      "(district codes; null: not given)."})
    interpret_with_care = fields.Boolean(required=True, metadata={"description": "Base under 30 respondents."})
    sampling_error_only = fields.Boolean(required=True, metadata={
        "description": "The wave's respondents chose to answer (an open link): the interval covers sampling error "
                       "only, not who took part."})


class SeriesBreakSchema(Schema):
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)


class IndicatorTableSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "mean (a 0-100 score) or proportion (%)."})
    mirror_of = fields.String(allow_none=True)
    breaks = fields.List(fields.Nested(SeriesBreakSchema), required=True, metadata={
        "description": "Consecutive released waves whose questionnaire versions ask this indicator differently "
                       "(in the languages listed): read them as two series, not as a change."})
    cells = fields.List(fields.Nested(CellSchema), required=True)


class IndicatorsSchema(Schema):
    campaign = fields.String(required=True)
    weighted = fields.Boolean(required=True)
    by = fields.List(fields.String(), required=True)
    waves = fields.List(fields.String(), required=True, metadata={"description": "The released waves shown."})
    methodology = fields.String(required=True, metadata={"description": "How every figure is made."})
    indicators = fields.List(fields.Nested(IndicatorTableSchema), required=True)


class ChangeQuerySchema(StrictSchema):
    from_ = fields.String(required=True, data_key="from", metadata={"description": "Label of the earlier wave."})
    to = fields.String(required=True, metadata={"description": "Label of the later wave."})
    weighted = fields.Boolean(load_default=False)


class WaveFigureSchema(FigureFields):
    wave = fields.String(required=True)


class ChangeSchema(Schema):
    campaign = fields.String(required=True)
    indicator = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CHANGE_STATUSES),
                           metadata={"description": "estimate when the change could be computed; otherwise why not."})
    series_break_languages = fields.List(fields.String(), metadata={
        "description": "With series_break: the campaign's languages in which the two versions differ."})
    method = fields.String(required=True, metadata={
        "description": "Miettinen–Nurminen score interval and test (proportions), Welch (means)."})
    sampling_error_only = fields.Boolean(required=True)
    from_ = fields.Nested(WaveFigureSchema, data_key="from", required=True)
    to = fields.Nested(WaveFigureSchema, required=True)
    difference = fields.Float(metadata={"description": "Later minus earlier, points."})
    ci_low = fields.Float()
    ci_high = fields.Float()
    p_value = fields.Float()
    methodology = fields.String(required=True)


class MirrorQuerySchema(StrictSchema):
    residents = fields.String(required=True, metadata={"description": "The residents' campaign (slug)."})
    resident_wave = fields.String(required=True, metadata={"description": "Its released wave (label)."})
    officers = fields.String(required=True, metadata={"description": "The officers' campaign of the same city."})
    officer_wave = fields.String(required=True, metadata={"description": "Its released wave (label)."})
    since_resident_wave = fields.String(metadata={
        "description": "With since_officer_wave: an earlier pair of waves, to give how each gap moved since."})
    since_officer_wave = fields.String()
    lang = fields.String(validate=validate.OneOf(SUPPORTED_LANGUAGES), load_default="en")

    @validates_schema
    def both_or_neither(self, data, **kwargs):
        if ("since_resident_wave" in data) != ("since_officer_wave" in data):
            raise ValidationError("give both since_resident_wave and since_officer_wave, or neither",
                                  "since_resident_wave")


class SinceSchema(Schema):
    resident_wave = fields.String(required=True)
    officer_wave = fields.String(required=True)


class GapChangeSchema(Schema):
    since = fields.Nested(SinceSchema, required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        (*MIRROR_STATUSES, "series_break", "recruitment_changed")), metadata={
        "description": "A pilot's gap change is withheld across a series break or a change of recruitment mode."})
    series_break_languages = fields.List(fields.String())
    difference = fields.Float(metadata={"description": "This gap minus the earlier one (points), MOVER interval."})
    ci_low = fields.Float()
    ci_high = fields.Float()


class MirrorPairSchema(Schema):
    resident_indicator = fields.String(required=True)
    officer_indicator = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(MIRROR_STATUSES))
    method = fields.String(required=True, metadata={"description": "MOVER interval from the two sides' intervals."})
    sampling_error_only = fields.Boolean(required=True)
    residents = fields.Nested(WaveFigureSchema, required=True,
                              metadata={"description": "Always read a gap beside the residents' level."})
    officers = fields.Nested(WaveFigureSchema, required=True)
    gap = fields.Float(metadata={"description": "Officers' mean estimate minus residents' percentage (points). "
                                                "Estimates of a share drift towards 50 %: read a gap with the "
                                                "residents' level beside it, and never rank cities by it."})
    gap_ci_low = fields.Float()
    gap_ci_high = fields.Float()
    gap_change = fields.Nested(GapChangeSchema, metadata={"description": "When since_… waves are given."})


class CampaignWaveSchema(Schema):
    campaign = fields.String(required=True)
    wave = fields.String(required=True)


class MirrorSchema(Schema):
    residents = fields.Nested(CampaignWaveSchema, required=True)
    officers = fields.Nested(CampaignWaveSchema, required=True)
    methodology = fields.String(required=True)
    pairs = fields.List(fields.Nested(MirrorPairSchema), required=True)


class ReleaseSchema(Schema):
    wave = fields.String(required=True, attribute="wave.label")
    number = fields.Integer(required=True, metadata={"description": "1 for the first release, then each reissue."})
    made = fields.DateTime(required=True, attribute="made_dt")
    reason = fields.String(required=True)
    threshold = fields.Integer(required=True)
    current = fields.Boolean(required=True, attribute="is_current")
    weight_set = fields.Function(lambda made: made.weight_set.number if made.weight_set else None,
                                 allow_none=True, required=True, metadata={"type": "integer",
        "description": "The wave's weight set its weighted figures use (null: not weighted, every weight 1)."})


class ReleasesSchema(Schema):
    campaign = fields.String(required=True)
    releases = fields.List(fields.Nested(ReleaseSchema), required=True)


class MakeReleaseSchema(StrictSchema):
    wave = fields.String(required=True, validate=validate.Length(max=64))
    reason = fields.String(validate=validate.Length(min=3, max=200), metadata={
        "description": "Required for a reissue: what it changes (new weights, a correction)."})
    private_key = fields.String(validate=validate.Length(max=100), metadata={
        "description": "Officer campaigns: the wave's private key, to open its sealed answers first."})


def _rounded_n(n: int | None) -> bool:
    if n is not None and (n < N_ROUNDING or n % N_ROUNDING):
        raise ValidationError(f"a public n is a multiple of {N_ROUNDING}")
    return True


class PublicCellSchema(CellSchema):
    n = fields.Integer(allow_none=True, required=True, validate=_rounded_n, metadata={
        "description": "Unweighted base, rounded to 5 (never 0 for a cell with respondents); null: suppressed.",
        "multipleOf": N_ROUNDING, "minimum": N_ROUNDING})


class PublicIndicatorTableSchema(IndicatorTableSchema):
    cells = fields.List(fields.Nested(PublicCellSchema), required=True)


class PublicTableSchema(Schema):
    breakdown = fields.String(required=True, metadata={
        "description": "total, or the table's breakdowns joined by a colon (district, district:gender)."})
    indicators = fields.List(fields.Nested(PublicIndicatorTableSchema), required=True,
                             metadata={"description": "One table per indicator, its cells with their figures."})


class PublicReleaseSchema(Schema):
    number = fields.Integer(required=True, validate=validate.Range(min=1),
                            metadata={"description": "1 for the first release, then each reissue."})
    made = fields.DateTime(required=True, attribute="made_dt")


class PublicWaveSchema(Schema):
    campaign = fields.String(required=True, attribute="campaign.slug")
    audience = fields.String(required=True, attribute="campaign.audience",
                             validate=validate.OneOf(("resident", "officer")))
    title = fields.String(required=True, metadata={"description": "The questionnaire's title."})
    wave = fields.String(required=True, attribute="wave.label")
    opens = fields.DateTime(required=True, allow_none=True, attribute="wave.opens_dt")
    closes = fields.DateTime(required=True, allow_none=True, attribute="wave.closes_dt")
    weighted = fields.Boolean(required=True, metadata={
        "description": "Residents' figures are weighted to the population; officers' are not."})
    release = fields.Nested(PublicReleaseSchema, required=True, metadata={
        "description": "The wave's current release: a reissue replaces the figures as soon as it is made."})
    published = fields.DateTime(required=True, attribute="published_dt")
    tables = fields.List(fields.Nested(PublicTableSchema), required=True,
                         metadata={"description": "Every table the release publishes, the total first."})


class PublicCitySchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    name_local = fields.String(required=True, allow_none=True)
    country = fields.String(required=True)


class PublicResultsSchema(Schema):
    city = fields.Nested(PublicCitySchema, required=True)
    language = fields.String(required=True, validate=validate.OneOf(SUPPORTED_LANGUAGES))
    methodology = fields.String(required=True, metadata={"description": "How every figure is made."})
    note = fields.String(required=True, metadata={"description": "How to read the figures."})
    waves = fields.List(fields.Nested(PublicWaveSchema), required=True,
                        metadata={"description": "The published waves; empty when nothing is published yet."})

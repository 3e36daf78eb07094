"""The OpenAPI document, built from the marshmallow schemas with apispec."""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .schemas import (
    ChangeQuerySchema,
    ChangeSchema,
    ErrorSchema,
    IndicatorQuerySchema,
    IndicatorsSchema,
    LanguageQuerySchema,
    MakeReleaseSchema,
    MirrorQuerySchema,
    MirrorSchema,
    PublicResultsSchema,
    QuestionnaireSchema,
    ReleaseSchema,
    ReleasesSchema,
    SubmissionSchema,
    SubmittedSchema,
)

METHODOLOGY = "/en/methodology"
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64},
        "description": "The campaign, e.g. nantes-residents."}


def error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def staff_read(summary: str, parameters: list, schema: str, description: str,
               not_found: str = "No such campaign, or one of another city") -> dict:
    """A figures endpoint that staff read with a session or a bearer token."""
    return {
        "summary": summary,
        "description": f"Every figure comes from a release and is made as {METHODOLOGY} describes.",
        "security": [{"token": []}],
        "parameters": parameters,
        "responses": {
            "200": {"description": description, "content": {"application/json": {"schema": schema}}},
            "400": error("Invalid parameters, each listed"),
            "401": error("Not logged in and no valid token"),
            "404": error(not_found),
        },
    }


@cache
def openapi_document() -> dict:
    spec = APISpec(
        title="IMPPULSE Survey API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Questionnaires and submissions for field tablets and kiosks; released figures, "
                             f"releases and the mirror for city staff. How every figure is made: {METHODOLOGY}."},
        externalDocs={"description": "How the figures are made", "url": METHODOLOGY},
        servers=[{"url": "/"}],
    )
    for name, schema in (("Error", ErrorSchema), ("Questionnaire", QuestionnaireSchema),
                         ("Submission", SubmissionSchema), ("Submitted", SubmittedSchema)):
        spec.components.schema(name, schema=schema)
    spec.path(
        path="/api/v1/campaigns/{slug}/questionnaire",
        operations={"get": {
            "summary": "A campaign's questionnaire in one language",
            "parameters": [SLUG, {"in": "query", "schema": LanguageQuerySchema}],
            "responses": {
                "200": {"description": "The questionnaire", "content": {"application/json": {"schema": "Questionnaire"}}},
                "400": error("Invalid parameters, each listed"),
                "404": error("No such campaign"),
                "410": error("The campaign is not taking responses"),
            },
        }},
    )
    spec.path(
        path="/api/v1/campaigns/{slug}/responses",
        operations={"post": {
            "summary": "Submit a completed questionnaire",
            "parameters": [SLUG],
            "requestBody": {"required": True, "content": {"application/json": {"schema": "Submission"}}},
            "responses": {
                "201": {"description": "Stored", "content": {"application/json": {"schema": "Submitted"}}},
                "200": {"description": "Stored before under this submission_id",
                        "content": {"application/json": {"schema": "Submitted"}}},
                "202": {"description": "Invitation campaigns: the invitation is spent and the answers are sealed "
                                       "until their wave is released (also for a repeat of the same submission)",
                        "content": {"application/json": {"schema": "Submitted"}}},
                "400": error("Malformed body, each problem listed"),
                "404": error("No such campaign"),
                "409": error("Invitation token refused (unknown, of another campaign, or used), or submission_id "
                             "used by another campaign"),
                "410": error("The campaign is not taking responses"),
                "422": error("Answers that need attention, each listed by answer key"),
                "429": error("Too many submissions from this client"),
                "503": error("Database unavailable; nothing stored"),
            },
        }},
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    for name, schema in (("Indicators", IndicatorsSchema), ("Change", ChangeSchema), ("Mirror", MirrorSchema),
                         ("Release", ReleaseSchema), ("Releases", ReleasesSchema), ("MakeRelease", MakeReleaseSchema)):
        spec.components.schema(name, schema=schema)
    spec.path(path="/api/v1/campaigns/{slug}/indicators", operations={"get": staff_read(
        "Indicators of a campaign's released waves, by one table of the releasable set, with 95% intervals",
        [SLUG, {"in": "query", "schema": IndicatorQuerySchema}], "Indicators", "One table per indicator")})
    spec.path(path="/api/v1/campaigns/{slug}/indicators/{key}/change", operations={"get": staff_read(
        "An indicator's change between two released waves, with its 95% interval and p-value",
        [SLUG, {"name": "key", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}},
         {"in": "query", "schema": ChangeQuerySchema}],
        "Change", "Both waves' figures and the change, or the status that stops it")})
    spec.path(path="/api/v1/mirror", operations={"get": staff_read(
        "Residents' and officers' views of the same constructs, for the two campaigns and waves named, and the gap",
        [{"in": "query", "schema": MirrorQuerySchema}], "Mirror", "The mirror pairs",
        not_found="No such campaign, or one of another city")})
    spec.path(path="/api/v1/campaigns/{slug}/releases", operations={
        "get": staff_read("A campaign's releases, reissues included", [SLUG], "Releases", "Every release"),
        "post": {
            "summary": "Release a closed wave (an officer wave's sealed answers are opened first, with its private "
                       "key), or reissue a released one, saying why",
            "description": "A manager's or an admin's bearer token; never a browser session.",
            "security": [{"token": []}],
            "parameters": [SLUG],
            "requestBody": {"required": True, "content": {"application/json": {"schema": "MakeRelease"}}},
            "responses": {
                "201": {"description": "The release made", "content": {"application/json": {"schema": "Release"}}},
                "400": error("Invalid body, each problem listed"),
                "401": error("No valid bearer token"),
                "403": error("Not a manager of the city or an admin"),
                "404": error("No such campaign or wave, or a campaign of another city"),
                "409": error("The release cannot be made: the wave is open, released already without a reason, "
                             "or its sealed answers need the right private key"),
                "503": error("Database unavailable; nothing released"),
            },
        }})
    _download_paths(spec)
    _public_paths(spec)
    _pilot_paths(spec)
    return spec.to_dict()


def _pilot_paths(spec: APISpec) -> None:
    from ..pilots.schemas import EvaluationSchema, LanguageQuery, PilotListSchema, PilotSchema

    for name, schema in (("Pilots", PilotListSchema), ("Pilot", PilotSchema), ("PilotEvaluation", EvaluationSchema)):
        spec.components.schema(name, schema=schema)
    language = {"in": "query", "schema": LanguageQuery}
    pilot = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
    not_found = "No such pilot, or one of another city"
    spec.path(path="/api/v1/pilots", operations={"get": staff_read(
        "The pilot projects of the user's city (admins: every city)", [language], "Pilots", "The pilots")})
    spec.path(path="/api/v1/pilots/{slug}", operations={"get": staff_read(
        "A pilot project: its texts, design (as declared, with every dated revision), actions and budget",
        [pilot, language], "Pilot", "The pilot", not_found=not_found)})
    spec.path(path="/api/v1/pilots/{slug}/evaluation", operations={"get": staff_read(
        "A pilot's evaluation: residents' difference in differences (pilot against comparison districts, "
        "post-stratified by district, sampling uncertainty only), residents' view of the pilot, officers' "
        "city-wide change and mirror gaps, and a plain-language summary",
        [pilot, language], "PilotEvaluation", "The evaluation", not_found=not_found)})


def _download_paths(spec: APISpec) -> None:
    from ..exports.views import MEDIA_TYPES, DownloadQuerySchema

    wave = {"name": "label", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64},
            "description": "The wave's label, e.g. baseline; it must have a release."}
    downloads = (
        ("indicators", ("csv", "xlsx"), ("A wave's aggregated indicators, every releasable table, with 95% intervals, "
                                        "n and flags (suppressed cells say so)"), "any staff role"),
        ("microdata", ("csv", "xlsx", "sav", "dta"), ("A wave's microdata, one row per respondent in a random order, "
                                                     "quasi-identifiers coarsened to the release's threshold"),
         "analysts of the city and the network coordinator; officers' microdata: the coordinator only"),
        ("codebook", ("csv", "html"), "What each microdata variable means: question, codes, labels, coarsening",
         "as microdata"),
    )
    for what, formats, summary, who in downloads:
        spec.path(path=f"/api/v1/campaigns/{{slug}}/waves/{{label}}/{what}.{{format}}", operations={"get": {
            "summary": summary,
            "description": f"Who: {who}. Every download is recorded in the audit log. Text cells that a spreadsheet "
                           "would run as a formula start with an apostrophe; CSV is UTF-8 with a byte-order mark.",
            "security": [{"token": []}],
            "parameters": [SLUG, wave, {"name": "format", "in": "path", "required": True,
                                        "schema": {"type": "string", "enum": list(formats)}},
                           {"in": "query", "schema": DownloadQuerySchema}],
            "responses": {
                "200": {"description": "The file, as an attachment",
                        "content": {MEDIA_TYPES[fmt].split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                                    for fmt in formats}},
                "400": error("Invalid parameters, each listed"),
                "401": error("Not logged in and no valid token"),
                "403": error("Not allowed for this role"),
                "404": error("No such campaign or wave, no release yet, or a campaign of another city"),
                "409": error("Fewer respondents than the threshold: no microdata can be made"),
                "503": error("Database unavailable; try again"),
            },
        }})


def _public_paths(spec: APISpec) -> None:
    """What a city publishes, for everyone: no login, no token."""
    spec.components.schema("PublicResults", schema=PublicResultsSchema)
    city = {"name": "city", "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 64}, "description": "The city, e.g. nantes."}
    about = ("The current release of each wave the city published, every table of it, with the noise of public "
             "outputs: counts and sums move a little before anything is computed, n is rounded to 5 and intervals "
             f"are widened to include the noise ({METHODOLOGY}#protection). Nothing published yet: no waves.")
    language = {"in": "query", "schema": LanguageQuerySchema}
    spec.path(path="/api/v1/public/results/{city}", operations={"get": {
        "summary": "A city's published survey results",
        "description": about,
        "security": [],
        "parameters": [city, language],
        "responses": {
            "200": {"description": "The published waves", "content": {"application/json": {"schema": "PublicResults"}}},
            "400": error("Invalid parameters, each listed"),
            "404": error("No such city"),
        },
    }})
    spec.path(path="/api/v1/public/results/{city}.csv", operations={"get": {
        "summary": "A city's published survey results as CSV, one line per cell",
        "description": f"{about} Text cells that a spreadsheet would run as a formula start with an apostrophe; "
                       "UTF-8 with a byte-order mark.",
        "security": [],
        "parameters": [city, language],
        "responses": {
            "200": {"description": "The file, as an attachment",
                    "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}},
            "400": error("Invalid parameters, each listed"),
            "404": error("No such city"),
        },
    }})

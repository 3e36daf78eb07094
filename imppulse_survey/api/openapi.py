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
    return spec.to_dict()


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

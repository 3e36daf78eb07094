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
    MirrorQuerySchema,
    MirrorSchema,
    QuestionnaireSchema,
    SubmissionSchema,
    SubmittedSchema,
)

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64},
        "description": "The campaign, e.g. nantes-residents."}


def error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


@cache
def openapi_document() -> dict:
    spec = APISpec(
        title="IMPPULSE Survey API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Questionnaires and submissions for field tablets and kiosks."},
        servers=[{"url": "/"}],
    )
    for name, schema in (("Error", ErrorSchema), ("Questionnaire", QuestionnaireSchema),
                         ("Submission", SubmissionSchema), ("Submitted", SubmittedSchema),
                         ("Indicators", IndicatorsSchema)):
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
    spec.path(
        path="/api/v1/campaigns/{slug}/indicators",
        operations={"get": {
            "summary": "Indicators of a campaign with 95% intervals, after disclosure control",
            "security": [{"token": []}],
            "parameters": [SLUG, {"in": "query", "schema": IndicatorQuerySchema}],
            "responses": {
                "200": {"description": "One table per indicator",
                        "content": {"application/json": {"schema": "Indicators"}}},
                "400": error("Invalid parameters, each listed"),
                "401": error("Not logged in and no valid token"),
                "404": error("No such campaign, or one of another city"),
            },
        }},
    )
    spec.components.schema("Change", schema=ChangeSchema)
    spec.path(
        path="/api/v1/campaigns/{slug}/indicators/{key}/change",
        operations={"get": {
            "summary": "An indicator's change between two waves, with its 95% interval and p-value",
            "security": [{"token": []}],
            "parameters": [SLUG, {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"in": "query", "schema": ChangeQuerySchema}],
            "responses": {
                "200": {"description": "Both estimates and the difference (suppressed: true when either is)",
                        "content": {"application/json": {"schema": "Change"}}},
                "400": error("Invalid parameters, each listed"),
                "401": error("Not logged in and no valid token"),
                "404": error("No such campaign or indicator, or a campaign of another city"),
            },
        }},
    )
    spec.components.schema("Mirror", schema=MirrorSchema)
    spec.path(
        path="/api/v1/cities/{city}/mirror",
        operations={"get": {
            "summary": "Residents' and officers' views of the same constructs, and the gap between them",
            "security": [{"token": []}],
            "parameters": [{"name": "city", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"in": "query", "schema": MirrorQuerySchema}],
            "responses": {
                "200": {"description": "The mirror pairs", "content": {"application/json": {"schema": "Mirror"}}},
                "400": error("Invalid parameters, each listed"),
                "401": error("Not logged in and no valid token"),
                "404": error("No such city, one of another city, or no pair of campaigns"),
            },
        }},
    )
    return spec.to_dict()

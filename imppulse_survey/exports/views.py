"""Downloads through the API (and, with a session, from the workspace): a wave's aggregated indicators, and for
analysts its k-anonymised microdata and codebook. Every download is in the audit log."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, stream_with_context
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import DBAPIError

from ..accounts.audit import record
from ..api.views import problem, staff_campaign_request
from ..campaigns.models import Campaign, Wave
from ..core.database import begin_write
from ..core.limits import configured, failures_per_address
from ..extensions import csrf, db
from ..i18n import force_locale
from ..releases.services import current_release
from . import aggregates
from .codebook import HEADER as CODEBOOK_HEADER
from .codebook import codebook_rows
from .labelled import FORMATS as LABELLED_FORMATS
from .labelled import cached_path
from .microdata import MicrodataRefused, microdata_set, stored_lines, stored_rows
from .writers import csv_chunks, csv_file_chunks, file_chunks, xlsx_file

bp = Blueprint("exports", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # GET only
GUARDED = failures_per_address(configured("TOKEN_RATE_LIMIT"))
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "html": "text/html; charset=utf-8",
}


class DownloadQuerySchema(Schema):
    lang = fields.String(validate=validate.Length(max=8),
                         metadata={"description": "Labels' language (default: the campaign's)."})
    weighted = fields.Boolean(load_default=True, metadata={"description": "Indicators only: weighted figures."})


def _released_wave(slug: str, label: str, fmt: str, formats: tuple[str, ...]):
    """The campaign, wave, release and language asked for, or the refusal to send."""
    campaign, query, refusal = staff_campaign_request(slug, DownloadQuerySchema())
    if refusal:
        return None, refusal
    lang = query.get("lang") or campaign.default_language
    problems = {}
    if fmt not in formats:
        problems["format"] = [f"one of {', '.join(formats)}"]
    if lang not in campaign.languages:
        problems["lang"] = [f"the campaign is offered in {', '.join(campaign.languages)}"]
    if problems:
        return None, problem(400, "invalid parameters", problems)
    wave = next((wave for wave in campaign.waves if wave.label == label), None)
    release = current_release(wave) if wave is not None else None
    if release is None:
        return None, problem(404, "no such wave, or it has no release yet")
    return (campaign, wave, release, lang, query["weighted"]), None


def _audited(action: str, campaign: Campaign, wave: Wave, **details) -> None:
    begin_write()
    record(action, f"{campaign.slug} {wave.label}", campaign.city_id, **details)
    db.session.commit()


def _attachment(body, fmt: str, campaign: Campaign, wave: Wave, what: str) -> Response:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{campaign.slug}-{wave.label}-{what}").strip("-")
    response = Response(body, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _spreadsheet(fmt: str, sheet: str, header, rows) -> object:
    if fmt == "csv":
        return stream_with_context(csv_chunks(header, rows))
    return file_chunks(xlsx_file(sheet, header, rows))


@bp.get("/campaigns/<slug>/waves/<label>/indicators.<fmt>")
@GUARDED
def indicators_download(slug: str, label: str, fmt: str):
    found, refusal = _released_wave(slug, label, fmt, ("csv", "xlsx"))
    if refusal:
        return refusal
    campaign, wave, release, lang, weighted = found
    _audited("download.indicators", campaign, wave, format=fmt, language=lang, weighted=weighted,
             release=release.number)
    with force_locale(lang):
        rows = list(aggregates.rows(campaign, wave, lang, weighted))  # a few thousand cells at most
        header = aggregates.header(campaign, wave)
    return _attachment(_spreadsheet(fmt, "indicators", header, rows), fmt, campaign, wave, "indicators")


def _microdata_request(slug: str, label: str, fmt: str, formats: tuple[str, ...]):
    found, refusal = _released_wave(slug, label, fmt, formats)
    if refusal:
        return None, refusal
    campaign, wave, release, lang, _ = found
    from flask_login import current_user

    if not current_user.may_download_microdata or (campaign.audience == "officer" and current_user.role != "admin"):
        # officers' answers never reach their city's staff, even k-anonymised: their units are small
        return None, problem(403, "microdata is for analysts (officers' microdata: the network coordinator only)")
    try:
        made = microdata_set(release)
    except MicrodataRefused as refused:
        db.session.rollback()
        return None, problem(409, str(refused))
    except DBAPIError:
        db.session.rollback()
        return None, problem(503, "the service is temporarily unavailable; try again later")
    return (campaign, wave, release, lang, made), None


@bp.get("/campaigns/<slug>/waves/<label>/microdata.<fmt>")
@GUARDED
def microdata_download(slug: str, label: str, fmt: str):
    found, refusal = _microdata_request(slug, label, fmt, ("csv", "xlsx", *LABELLED_FORMATS))
    if refusal:
        return refusal
    campaign, wave, release, lang, made = found
    _audited("download.microdata", campaign, wave, format=fmt, language=lang, release=release.number,
             rows=made.row_count, free_text=made.with_free_text)
    if fmt in LABELLED_FORMATS:
        with force_locale(lang):
            path = cached_path(made, lang, fmt)
        return _attachment(file_chunks(str(path), remove=False), fmt, campaign, wave, "microdata")
    header = [entry["name"] for entry in made.variables]
    if fmt == "csv":  # the stored lines end to end
        body = stream_with_context(csv_file_chunks(header, stored_lines(made.id)))
    else:  # cells were made safe when the set was built
        body = file_chunks(xlsx_file("microdata", header, stored_rows(made), texts=[]))
    return _attachment(body, fmt, campaign, wave, "microdata")


@bp.get("/campaigns/<slug>/waves/<label>/codebook.<fmt>")
@GUARDED
def codebook_download(slug: str, label: str, fmt: str):
    found, refusal = _microdata_request(slug, label, fmt, ("csv", "html"))
    if refusal:
        return refusal
    campaign, wave, release, lang, made = found
    _audited("download.codebook", campaign, wave, format=fmt, language=lang, release=release.number)
    with force_locale(lang):
        rows = codebook_rows(made, lang)
        if fmt == "html":
            body = render_template("exports/codebook.html", campaign=campaign, wave=wave, release=release,
                                   made=made, rows=rows, lang=lang)
            return _attachment(body, fmt, campaign, wave, "codebook")
    return _attachment(stream_with_context(csv_chunks(CODEBOOK_HEADER, rows)), fmt, campaign, wave, "codebook")

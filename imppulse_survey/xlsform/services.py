"""Street interviews offline: a wave's questionnaire as an XLSForm, and the interviews collected with it imported.

The form is the wave's questionnaire as its respondents see it (the campaign's own words in place of the
placeholders, its languages, its city's districts). What comes back, ODK Central's or KoboToolbox's CSV, is checked
whole before anything is stored: one invalid interview refuses the file, with every problem named by its row. Each
interview is then stored through ``responses.services.submit``, as every submission is, with the date the server
received it and nothing else of what the file says about the interview (times, device, interviewer).

An interview imported once is skipped the next time: a keyed hash of its instance id is kept per wave, written
before the responses in a transaction of its own and in the order of the hashes, and the responses get fresh
random submission ids and are stored in shuffled order, so that nothing ties an instance id, which the collection
server keeps beside the interviewer's name and the interview's times, to a response (docs/xlsform.md).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from ..campaigns.models import Campaign, Wave
from ..campaigns.texts import campaign_texts
from ..core.database import begin_write
from ..core.keys import keyed_hash
from ..core.models import utcnow
from ..extensions import db
from ..i18n import language_name, text_in
from ..questionnaires.definition import Definition
from ..questionnaires.published import published_definition
from ..responses.services import submit
from .collected import CollectedFileError, CollectedRow, answer_problems, read_collected
from .models import ImportedInstance
from .writer import XLSFormWriter, workbook

#: the channel of the responses imported from collected data
CHANNEL = "odk"
#: the recruitment of the waves that take collected data
STREET_INTERCEPT = "street_intercept"
INSTANCE_PURPOSE = "xlsform-instance"
#: hashes per statement when some are taken back (SQLite binds a few thousand parameters at most)
CHUNK = 500
#: the most problems a refused file lists; the count of the others follows
MAX_PROBLEMS_SHOWN = 50
#: a questionnaire's district item written without a campaign: an example the campaign's districts replace
EXAMPLE_DISTRICTS = ((1, "District 1"), (2, "District 2"))


class XLSFormRefused(Exception):
    """A campaign or wave that cannot be exported or take collected data; the message says why, translated."""


class CollectedDataInvalid(Exception):
    """A file of which nothing was stored; ``problems`` names every row at fault."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    wave: Wave
    stored: int
    skipped: int
    #: the columns about the interviews that were dropped (times, device, interviewer…)
    dropped: list[str] = field(default_factory=list)


def refusal(campaign: Campaign, wave: Wave | None) -> str | None:
    """Why a campaign's wave can neither be exported nor take collected data, or None."""
    if campaign.access_mode == "invitation":
        return _("Officers answer by single-use invitation only: their campaigns are not collected offline.")
    if wave is None:
        return _("The campaign has no open wave.")
    if wave.status() == "closed":
        return _("Wave %(label)s is closed.", label=wave.label)
    return None


def wave_xlsform(campaign: Campaign, wave: Wave) -> bytes:
    """The wave's questionnaire as an XLSForm, as its respondents see it, in every language of the campaign."""
    refused = refusal(campaign, wave)
    if refused:
        raise XLSFormRefused(refused)
    definition = published_definition(wave.questionnaire_version)
    writer = XLSFormWriter(definition, campaign.languages, lambda language: campaign_texts(campaign, language),
                           districts=[(district.code, district.name) for district in campaign.city.districts],
                           has_pilot=bool(campaign.pilot_label))
    writer.write(interview_languages=[(code, language_name(code)) for code in campaign.languages])
    settings = writer.settings(title=definition.data["title"], form_id=f"{campaign.slug}-{wave.label}",
                               version=utcnow().strftime("%Y%m%d%H%M"), default_language=campaign.default_language)
    return workbook(writer.survey, writer.choices, settings)


def questionnaire_xlsform(data: dict) -> bytes:
    """A validated questionnaire as an XLSForm, its placeholders as written: to edit, or to read back."""
    definition = Definition(data)
    writer = XLSFormWriter(definition, definition.languages, _plain_texts, districts=EXAMPLE_DISTRICTS)
    writer.write()
    settings = writer.settings(title=data["title"], form_id=data["key"], version=str(data.get("version", 1)),
                               default_language=data["default_language"])
    return workbook(writer.survey, writer.choices, settings)


def _plain_texts(language: str):
    return lambda text: text_in(text, language) if text else None


def open_street_wave(campaign: Campaign) -> Wave:
    """The wave that takes collected data: the campaign's open wave, recruited by street interviews."""
    wave = campaign.current_wave()
    refused = refusal(campaign, wave)
    if refused:
        raise XLSFormRefused(refused)
    if wave.recruitment_mode != STREET_INTERCEPT:
        raise XLSFormRefused(_("Wave %(label)s is not recruited by street interviews: change its recruitment "
                               "before importing interviews into it.", label=wave.label))
    return wave


def import_collected(campaign: Campaign, data: bytes, default_language: str) -> ImportResult:
    """Store the interviews of a collected-data CSV in the campaign's open street-interview wave.

    Nothing is stored unless every new interview is valid. Commits: the hashes of the new interviews first, then
    each response, as ``submit`` does; if storing stops midway, the hashes of the interviews not stored are taken
    back, so that importing the file again stores them.
    """
    wave = open_street_wave(campaign)
    definition = published_definition(wave.questionnaire_version)
    try:
        rows, dropped = read_collected(data, definition)
    except CollectedFileError as error:
        raise CollectedDataInvalid([str(error)]) from None
    known = set(db.session.scalars(select(ImportedInstance.instance_hash).where(ImportedInstance.wave_id == wave.id)))
    new: dict[str, CollectedRow] = {}
    for row in rows:
        digest = keyed_hash(INSTANCE_PURPOSE, f"{wave.id}:{row.instance_id}")
        if digest not in known and digest not in new:
            new[digest] = row
    _check(campaign, wave, definition, list(new.values()), default_language)
    _claim(wave, sorted(new))
    waiting = list(new.items())
    secrets.SystemRandom().shuffle(waiting)  # the responses' order and ids say nothing of the file's order
    try:
        while waiting:
            row = waiting[-1][1]
            submit(campaign.slug, row.answers, language=row.language or default_language,
                   submission_id=str(uuid.uuid4()), channel=CHANNEL, wave_id=wave.id,
                   submitted_on=row.submitted_on or utcnow().date())
            waiting.pop()
    except BaseException:
        _release(wave, [digest for digest, _row in waiting])
        raise
    return ImportResult(wave, stored=len(new), skipped=len(rows) - len(new), dropped=dropped)


def _check(campaign: Campaign, wave: Wave, definition: Definition, rows: list[CollectedRow],
           default_language: str) -> None:
    """Every problem of every row, as ``submit`` would find them, and the dates and languages."""
    problems = []
    today = utcnow().date()
    opened = wave.opens_dt.date() if wave.opens_dt else today
    has_pilot, districts = bool(campaign.pilot_label), campaign.district_ids
    for row in rows:
        found = list(row.problems)
        language = row.language or default_language
        if language not in campaign.languages:
            found.append(_("the language %(language)s is not one of the campaign's", language=language))
        if row.submitted_on is not None and not opened <= row.submitted_on <= today:
            found.append(_("submitted on %(date)s, outside the wave's fieldwork", date=row.submitted_on.isoformat()))
        answer_faults = definition.clean(row.answers, has_pilot=has_pilot, district_codes=districts)[1]
        found.extend(answer_problems(answer_faults))
        problems.extend(_("Row %(row)s: %(problem)s", row=row.line, problem=problem) for problem in found)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(_("… and %(count)s more.", count=len(problems) - MAX_PROBLEMS_SHOWN))
        raise CollectedDataInvalid(shown)


def _claim(wave: Wave, hashes: list[str]) -> None:
    """Mark the new interviews imported, in one transaction of their own, in the order of their hashes."""
    if not hashes:
        return
    begin_write()
    db.session.execute(insert(ImportedInstance.__table__), [{"wave_id": wave.id, "instance_hash": digest}
                                                            for digest in hashes])
    db.session.commit()


def _release(wave: Wave, hashes: list[str]) -> None:
    if not hashes:
        return
    db.session.rollback()
    begin_write()
    for start in range(0, len(hashes), CHUNK):
        db.session.execute(delete(ImportedInstance).where(ImportedInstance.wave_id == wave.id,
                                                          ImportedInstance.instance_hash.in_(hashes[start:start + CHUNK])))
    db.session.commit()

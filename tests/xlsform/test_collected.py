"""A wave exported for ODK Collect and KoboCollect, and the interviews collected with it imported."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert
from sqlalchemy import func, select

from imppulse_survey.campaigns import services as campaigns
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Answer, Response, TextAnswer
from imppulse_survey.xlsform import services
from imppulse_survey.xlsform.models import ImportedInstance

TODAY = dt.date.today().isoformat()
ODK_HEADER = ("SubmissionDate,start,end,deviceid,username,introduction-interview_language,first-contact,first-trust,"
              "first-confidence,first-fair-fair_respect,first-fair-fair_explain,second-satisfaction,about-topics,"
              "about-years,about-district,about-nickname,about-comment,meta-instanceID,KEY,SubmitterID,SubmitterName,"
              "AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion")
#: what ODK says about the interviews, which must not be stored anywhere
SECRETS = ("collect:Xq7TzR2", "Marie Enquêtrice", "09:14:03", "4f2b9c1e-0000-4a1b-9c3d-7e6f5a4b3c2d")


def odk_row(instance: str, contact: str = "1", trust: str = "7", language: str = "fr", district: str = "2") -> str:
    return (f"{TODAY}T10:15:22.123Z,{TODAY}T09:14:03.000+01:00,{TODAY}T09:20:41.000+01:00,collect:Xq7TzR2,"
            f"marie,{language},{contact},{trust},4,5,dont_know,{'2' if contact == '1' else ''},1 2,12,{district},Kim,"
            f"\"Polite, quick\",uuid:{instance},uuid:{instance},17,Marie Enquêtrice,0,0,,received,collect:Xq7TzR2,0,"
            "202612041000")


def odk_file(*rows: str) -> bytes:
    return "\n".join([ODK_HEADER, *rows]).encode("utf-8")


def kobo_file() -> bytes:
    header = ("start;end;introduction/interview_language;first/contact;first/trust;first/confidence;"
              "first/fair/fair_respect;first/fair/fair_explain;second/satisfaction;about/topics;about/topics/1;"
              "about/topics/2;about/topics/3;about/years;about/district;about/nickname;about/comment;"
              "meta/instanceID;_id;_uuid;_submission_time;_validation_status;_notes;_status;_submitted_by;_tags;_index")
    rows = [f"{TODAY}T09:14:03.000+01:00;{TODAY}T09:20:41.000+01:00;en;2;3;2;1;2;;3;0;0;1;40;1;;;"
            f"uuid:aa11aa11-0000-4000-8000-00000000000{number};{900 + number};aa11aa11-0000-4000-8000-00000000000"
            f"{number};{TODAY}T10:00:00;;[];submitted_via_web;marie;[];{number}" for number in (1, 2)]
    return "\n".join([header, *rows]).encode("utf-8")


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def test_a_waves_form_is_valid_for_pyxform_in_the_campaigns_languages_as_respondents_see_it(street):
    wave = street.current_wave()
    workbook = services.wave_xlsform(street, wave)
    result = convert(workbook, file_type=".xlsx")
    assert "<h:title>Title (en)</h:title>" in result.xform
    sheets = load_workbook(io.BytesIO(workbook))
    header = [cell.value for cell in next(sheets["survey"].iter_rows(max_row=1))]
    assert "label::English (en)" in header and "label::French (fr)" in header
    choices = [[cell.value for cell in row] for row in sheets["choices"].iter_rows(min_row=2)]
    assert ["district", "2", "District 2", "District 2"] == choices[[row[0] for row in choices].index("district") + 1][:4]
    # the campaign has no pilot: its pilot question is not asked
    assert "pilot_heard" not in result.xform


def test_placeholders_are_filled_with_the_campaigns_words(make):
    definition_text = {"en": "Survey run by: {organiser}.", "fr": "Enquête menée par : {organiser}."}
    from ..factories import minimal_questionnaire

    version = make.version(minimal_questionnaire(introduction=definition_text))
    campaign = make.campaign(version=version)
    xform = convert(services.wave_xlsform(campaign, campaign.current_wave()), file_type=".xlsx").xform
    assert "Survey run by: the City of Testville (en)." in xform and "{organiser}" not in xform


def test_odk_central_data_is_stored_and_what_it_says_of_the_interviews_is_dropped(street):
    rows = [odk_row(f"4f2b9c1e-0000-4a1b-9c3d-7e6f5a4b3c2{number}") for number in "de"]
    result = services.import_collected(street, odk_file(*rows), "en")
    assert (result.stored, result.skipped) == (2, 0)
    assert stored() == 2
    response = db.session.scalars(select(Response)).first()
    assert (response.channel, response.language, response.submitted_on.isoformat()) == ("odk", "fr", TODAY)
    assert set(db.session.scalars(select(Answer.value).where(Answer.item_key == "topics"))) == {1.0, 2.0}
    assert "Polite, quick" in set(db.session.scalars(select(TextAnswer.text)))
    # the interview's times, device, interviewer and instance id are nowhere in the database
    everything = repr([db.session.execute(select(table)).all() for table in db.metadata.sorted_tables])
    for secret in (*SECRETS[:3], "4f2b9c1e-0000-4a1b-9c3d-7e6f5a4b3c2d", "marie"):
        assert secret not in everything


def test_kobotoolbox_data_is_stored(street):
    result = services.import_collected(street, kobo_file(), "fr")
    assert (result.stored, result.skipped) == (2, 0)
    assert set(db.session.scalars(select(Response.language))) == {"en"}
    assert "_submitted_by" in result.dropped and "start" in result.dropped


def test_interviews_imported_before_are_skipped_and_counted(street):
    first = odk_row("11111111-0000-4000-8000-000000000001")
    services.import_collected(street, odk_file(first), "en")
    again = services.import_collected(street, odk_file(first, first, odk_row("11111111-0000-4000-8000-000000000002")),
                                      "en")
    assert (again.stored, again.skipped) == (1, 2)
    assert stored() == 2
    assert db.session.scalar(select(func.count()).select_from(ImportedInstance)) == 2


def test_one_invalid_row_refuses_the_whole_file(street):
    rows = [odk_row("22222222-0000-4000-8000-000000000001"), odk_row("22222222-0000-4000-8000-000000000002", trust="12"),
            odk_row("22222222-0000-4000-8000-000000000003", contact="", language="de")]
    with pytest.raises(services.CollectedDataInvalid) as refused:
        services.import_collected(street, odk_file(*rows), "en")
    problems = "\n".join(refused.value.problems)
    assert "Row 3: trust: Choose a number from 0 to 10." in problems
    assert "Row 4: the language de is not one of the campaign's" in problems
    assert "Row 4: contact: This question needs an answer." in problems
    assert stored() == 0 and db.session.scalar(select(func.count()).select_from(ImportedInstance)) == 0


def test_a_file_of_another_form_is_refused(street):
    with pytest.raises(services.CollectedDataInvalid) as refused:
        services.import_collected(street, odk_file(odk_row("33333333-0000-4000-8000-000000000001")).replace(
            b"about-comment", b"about-favourite_colour"), "en")
    assert "about-favourite_colour" in refused.value.problems[0]


@pytest.mark.parametrize("case", ["officers", "closed", "not street"])
def test_officer_campaigns_closed_waves_and_other_recruitment_refuse(make, street, case):
    if case == "officers":
        campaign = make.campaign(slug="testville-officers", city=street.city, access_mode="invitation")
    elif case == "closed":
        campaign = street
        campaigns.close_wave(campaign)
        db.session.commit()
    else:
        campaign = make.campaign(slug="testville-link", city=street.city)
    wave = campaign.current_wave() or campaign.waves[-1]
    if case != "not street":
        with pytest.raises(services.XLSFormRefused):
            services.wave_xlsform(campaign, wave)
    with pytest.raises(services.XLSFormRefused):
        services.import_collected(campaign, odk_file(odk_row("44444444-0000-4000-8000-000000000001")), "en")
    assert stored() == 0

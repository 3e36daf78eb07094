"""The campaign page's street interviews: the XLSForm download and the upload of collected data, for managers."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from imppulse_survey.accounts.models import AuditEvent
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import Response

from .test_collected import odk_file, odk_row

PAGE = "/{lang}/staff/campaigns/testville-residents/"
UPLOAD = "/{lang}/staff/campaigns/testville-residents/collected-data"


#: any form's token: the page's sign-out button has one for every role
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def upload(staff, body: bytes, lang: str = "en", language: str = "fr"):
    token = TOKEN.search(staff.get(f"/{lang}/staff/").get_data(as_text=True)).group(1)
    # encoded here, in memory: the test client spools a large body to a file that it leaves open
    boundary, encoded = encode_multipart({"csrf_token": token, "language": language,
                                          "data_file": FileStorage(io.BytesIO(body), "odk-central.csv")})
    return staff.client.post(UPLOAD.format(lang=lang), data=encoded,
                             content_type=f"multipart/form-data; boundary={boundary}")


def actions() -> list[str]:
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_manager_downloads_the_form_and_imports_what_was_collected(street, sign_in):
    manager = sign_in("manager", street.city)
    page = manager.get(PAGE.format(lang="en")).get_data(as_text=True)
    assert "Download XLSForm (wave baseline)" in page and 'enctype="multipart/form-data"' in page
    download = manager.get("/en/staff/campaigns/testville-residents/waves/baseline/xlsform.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    response = upload(manager, odk_file(odk_row("55555555-0000-4000-8000-000000000001"),
                                        odk_row("55555555-0000-4000-8000-000000000002")))
    assert response.status_code == 302
    page = manager.get(PAGE.format(lang="en")).get_data(as_text=True)
    assert "2 stored, 0 already imported, skipped." in page
    assert actions() == ["xlsform.export", "xlsform.import"]
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2


def test_a_refused_file_is_explained_at_the_top_of_the_page_in_its_language(street, sign_in):
    manager = sign_in("manager", street.city)
    response = upload(manager, odk_file(odk_row("66666666-0000-4000-8000-000000000001", trust="12")), lang="fr",
                      language="en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page[page.index('class="error-summary"'):page.index('<h2>Vagues') if "<h2>Vagues" in page else None]
    assert "Row 2" in summary or "Ligne 2" in summary
    assert '<option selected value="en">' in page  # the language chosen is kept
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_file_larger_than_other_forms_may_be_is_taken(street, sign_in):
    """Some 5,000 rows (1.6 MB, over the site's 1 MB limit): here, one interview sent 5,000 times."""
    manager = sign_in("manager", street.city)
    body = odk_file(*[odk_row("99999999-0000-4000-8000-000000000001")] * 5000)
    assert len(body) > 1024 * 1024
    assert upload(manager, body).status_code == 302
    assert "1 stored, 4999 already imported, skipped." in manager.get(PAGE.format(lang="en")).get_data(as_text=True)


def test_the_upload_needs_its_csrf_token_and_a_file(street, sign_in):
    manager = sign_in("manager", street.city)
    forged = manager.client.post(UPLOAD.format(lang="en"), data={"language": "fr", "data_file": (
        io.BytesIO(odk_file(odk_row("77777777-0000-4000-8000-000000000001"))), "odk.csv")},
        content_type="multipart/form-data")
    assert forged.status_code in (400, 403)
    token = TOKEN.search(manager.get(PAGE.format(lang="en")).get_data(as_text=True)).group(1)
    missing = manager.client.post(UPLOAD.format(lang="en"), data={"csrf_token": token, "language": "fr"})
    assert missing.status_code == 400 and "Choose the CSV file to import." in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize(("role", "other_city", "status"), [("viewer", False, 403), ("manager", True, 404),
                                                            ("admin", False, 302)])
def test_who_may_import(make, street, sign_in, role, other_city, status):
    city = make.city("elsewhere") if other_city else street.city
    staff = sign_in(role, city)
    response = upload(staff, odk_file(odk_row("88888888-0000-4000-8000-000000000001")))
    assert response.status_code == status
    download = staff.get("/en/staff/campaigns/testville-residents/waves/baseline/xlsform.xlsx")
    assert download.status_code == (200 if status == 302 else status)

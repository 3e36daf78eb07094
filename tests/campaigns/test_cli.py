"""Campaign and invitation commands: what they do, and a one-line error with status 1 when they cannot."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select

from imppulse_survey.campaigns.models import Campaign, Invitation
from imppulse_survey.core.keys import keyed_hash
from imppulse_survey.extensions import db

from ..factories import days_ago

#: the words of a campaign for its questionnaire's {forces} and {organiser}
NANTES = ("--forces", "fr=la police nationale et la police municipale",
          "--forces", "en=the national and municipal police",
          "--organiser", "fr=la Ville de Nantes", "--organiser", "en=the City of Nantes")

@pytest.fixture
def published(make):
    city = make.city("nantes", districts=11)
    make.standard_versions()
    return city


def invoke(runner, *args):
    return runner.invoke(args=["imppulse", *args])


def test_create_a_resident_campaign_with_the_city_defaults(runner, published):
    result = invoke(runner, "campaign", "create", "nantes-residents", "--city", "nantes",
                    "--questionnaire", "resident-perception", *NANTES, "--opens", "2026-01-05", "--closes", "2026-02-28")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created nantes-residents (resident, open, fr,en) with wave baseline"
    campaign = db.session.scalar(select(Campaign).filter_by(slug="nantes-residents"))
    assert campaign.default_language == "fr" and campaign.disclosure_threshold == 10
    assert campaign.waves[0].opens_dt == dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    assert campaign.waves[0].status() == "closed"


def test_officer_campaigns_default_to_invitations(runner, published):
    result = invoke(runner, "campaign", "create", "nantes-officers", "--city", "nantes",
                    "--questionnaire", "officer-feedback", *NANTES[:2], *NANTES[4:6], "--languages", "fr",
                    "--threshold", "15")
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign).filter_by(slug="nantes-officers"))
    assert (campaign.audience, campaign.access_mode, campaign.disclosure_threshold) == ("officer", "invitation", 15)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--city", "atlantis"], "Error: no city 'atlantis'"),
        (["--questionnaire", "nothing"], "Error: no published questionnaire 'nothing'"),
        (["--threshold", "3"], "Error: the disclosure threshold cannot be below 5"),
        (["--languages", "fr,en", "--default-language", "pt"],
         "Error: the default language must be one of the campaign's languages"),
        (["--access", "open", "--questionnaire", "officer-feedback", *NANTES],
         "Error: officer campaigns are by invitation only, so that each officer answers once"),
        (["--opens", "2026-03-01", "--closes", "2026-02-01"], "Error: a wave must close after it opens"),
        (["--threshold", "0"], "Error: the disclosure threshold cannot be below 5"),  # not "the default"
        (["--retention-months", "6", "--text-retention-months", "12"],
         "Error: retention periods must satisfy 1 <= free text <= responses <= 240 months"),
        (["--wave", "<b>"], ("Error: a wave label is 1 to 64 lower-case letters, digits, hyphens or underscores, "
                             "e.g. baseline")),
        (["--slug", '"><script>alert(1)</script>'],
         "Error: the slug must be 2 to 64 lower-case letters, digits and hyphens, e.g. nantes-residents"),
    ],
)
def test_create_refuses_bad_input_in_one_line(runner, published, extra, message):
    args = {"--city": "nantes", "--questionnaire": "resident-perception"}
    slug = extra[extra.index("--slug") + 1] if "--slug" in extra else "nantes-residents"
    extra = [part for part in extra if part not in ("--slug", slug)]
    base = [item for pair in args.items() if pair[0] not in extra for item in pair]
    result = invoke(runner, "campaign", "create", slug, *base, *extra)
    assert result.exit_code == 1
    assert result.output.strip() == message
    assert db.session.scalar(select(Campaign)) is None


def test_a_slug_cannot_be_reused(runner, published):
    args = ["campaign", "create", "nantes-residents", "--city", "nantes", "--questionnaire", "resident-perception", *NANTES]
    invoke(runner, *args)
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: a campaign 'nantes-residents' exists already"


def test_open_and_close_waves(runner, published):
    invoke(runner, "campaign", "create", "nantes-residents", "--city", "nantes", "--questionnaire", "resident-perception", *NANTES)
    assert invoke(runner, "campaign", "open", "nantes-residents").output.strip() == "nantes-residents: wave baseline is open, on version 2"
    listing = invoke(runner, "campaign", "list").output
    assert "nantes-residents" in listing and "baseline:open" in listing and "0 responses" in listing
    assert invoke(runner, "campaign", "close", "nantes-residents").output.strip() == "nantes-residents: wave baseline is closed"
    again = invoke(runner, "campaign", "close", "nantes-residents")
    assert again.exit_code == 1 and again.output.strip() == "Error: nantes-residents has no open wave"
    follow_up = invoke(runner, "campaign", "open", "nantes-residents", "--wave", "follow-up")
    assert follow_up.output.strip() == "nantes-residents: wave follow-up is open, on version 2"
    campaign = db.session.scalar(select(Campaign))
    db.session.refresh(campaign)
    assert [(w.label, w.position, w.status()) for w in campaign.waves] == [("baseline", 1, "closed"), ("follow-up", 2, "open")]


def test_opening_a_wave_closes_the_one_in_fieldwork(make):
    from imppulse_survey.campaigns.services import open_wave

    campaign = make.campaign()
    second = open_wave(campaign, "follow-up")
    assert campaign.current_wave() is second
    assert campaign.waves[0].status() == "closed"


@pytest.mark.parametrize("command", [["campaign", "open"], ["campaign", "close"], ["invitations", "create"]])
def test_an_unknown_campaign_is_one_line_and_status_1(runner, tmp_path, command):
    extra = ["3", "--out", str(tmp_path / "x.csv")] if command[0] == "invitations" else []
    result = invoke(runner, *command, "ghost-town", *extra)
    assert result.exit_code == 1
    assert result.output == "Error: no campaign 'ghost-town'\n"


def test_invitations_are_written_once_and_only_hashes_are_stored(runner, published, tmp_path):
    invoke(runner, "campaign", "create", "nantes-officers", "--city", "nantes", "--questionnaire", "officer-feedback", *NANTES)
    out = tmp_path / "tokens.csv"
    result = invoke(runner, "invitations", "create", "nantes-officers", "25", "--out", str(out),
                    "--base-url", "https://survey.example.org/")
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25 and len({row["token"] for row in rows}) == 25
    for row in rows:
        assert row["link"] == f"https://survey.example.org/i/{row['token']}"
        # 32 random bytes in URL-safe base64: 256 bits, well over the 128 required
        assert len(row["token"]) == 43
    stored = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    # keyed hashes: whoever holds the list but not the server's secret cannot match the rows
    assert {i.token_hash for i in stored} == {keyed_hash("invitation", r["token"]) for r in rows}
    assert not {i.token_hash for i in stored} & {hashlib.sha256(r["token"].encode()).hexdigest() for r in rows}
    assert {column.name for column in Invitation.__table__.columns} == {"id", "campaign_id", "token_hash"}
    assert not any(row["token"] in i.token_hash for row in rows for i in stored)
    # the file's order is not the rows' order, so a list or a card deck cannot be matched by position
    assert [keyed_hash("invitation", r["token"]) for r in rows] != [i.token_hash for i in stored]


def test_invitations_never_overwrite_a_file(runner, published, tmp_path):
    invoke(runner, "campaign", "create", "nantes-officers", "--city", "nantes", "--questionnaire", "officer-feedback", *NANTES)
    out = tmp_path / "tokens.csv"
    out.write_text("precious")
    result = invoke(runner, "invitations", "create", "nantes-officers", "5", "--out", str(out))
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert out.read_text() == "precious"
    assert db.session.scalar(select(Invitation)) is None  # nothing stored that nobody can hand out


def test_printable_cards_hold_each_link_once_and_no_name(runner, published, tmp_path):
    invoke(runner, "campaign", "create", "nantes-officers", "--city", "nantes", "--questionnaire", "officer-feedback", *NANTES)
    cards = tmp_path / "cards.html"
    result = invoke(runner, "invitations", "create", "nantes-officers", "7", "--out", str(tmp_path / "t.csv"),
                    "--cards", str(cards), "--base-url", "https://survey.example.org")
    assert result.exit_code == 0, result.output
    with (tmp_path / "t.csv").open() as handle:
        links = [row["link"] for row in csv.DictReader(handle)]
    page = cards.read_text()
    assert page.count('<section class="card">') == 7 and page.count("<svg") == 7  # a QR code each
    assert sorted(re.findall(r'<p class="link">([^<]+)</p>', page)) == sorted(links)
    assert '<html lang="fr">' in page and "nouvelle carte" in page  # the campaign's language, and what to do
    assert "<script" not in page


def test_invitations_are_for_invitation_campaigns(runner, published, tmp_path):
    invoke(runner, "campaign", "create", "nantes-residents", "--city", "nantes", "--questionnaire", "resident-perception", *NANTES)
    result = invoke(runner, "invitations", "create", "nantes-residents", "5", "--out", str(tmp_path / "t.csv"))
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: nantes-residents is an open campaign; invitations are for invitation campaigns"
    )


def test_wave_status_follows_the_dates(make):
    campaign = make.campaign(open_now=False)
    from imppulse_survey.campaigns.services import add_wave

    wave = add_wave(campaign, "later", opens_dt=days_ago(-3))
    assert wave.status() == "scheduled" and campaign.current_wave() is None
    assert wave.status(now=days_ago(-4) + dt.timedelta(days=2)) == "open"


def test_the_threshold_moves_freely_before_fieldwork_and_only_up_after(runner, published):
    created = invoke(runner, "campaign", "create", "nantes-residents", "--city", "nantes",
                     "--questionnaire", "resident-perception", *NANTES, "--opens", "2099-01-05")
    assert created.exit_code == 0, created.output
    assert invoke(runner, "campaign", "threshold", "nantes-residents", "6").exit_code == 0
    assert invoke(runner, "campaign", "threshold", "nantes-residents", "4").output.strip() == \
        "Error: the disclosure threshold cannot be below 5"
    assert invoke(runner, "campaign", "open", "nantes-residents").exit_code == 0
    lowered = invoke(runner, "campaign", "threshold", "nantes-residents", "5")
    assert (lowered.exit_code, lowered.output.strip()) == (
        1, "Error: fieldwork of nantes-residents has started: its threshold can only be raised (it is 6)")
    raised = invoke(runner, "campaign", "threshold", "nantes-residents", "12")
    assert raised.exit_code == 0, raised.output
    db.session.expire_all()
    assert db.session.scalar(select(Campaign).filter_by(slug="nantes-residents")).disclosure_threshold == 12

"""Officers cannot be unpicked: the attacks of docs/anonymity.md, played by an administrator with the database, its
files and the logs, and by a staff user reading every figure as officers answer.

Twelve officers answer through their invitations in a known order, each with a distinct mark (a trust score and
a comment). Every test then tries one way of tying an invitation, an order or a moment to a stored answer:
system columns and transaction ids (PostgreSQL), the write-ahead log (both), raw files, ids and row order,
dates, indicator summaries, drafts, logs, and figures polled between submissions.
"""

from __future__ import annotations

import logging
import re
import secrets
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from imppulse_survey import create_app
from imppulse_survey.accounts.services import create_user, issue_token
from imppulse_survey.campaigns.services import close_wave
from imppulse_survey.config import ConfigError, ProductionConfig
from imppulse_survey.core.database import create_sqlite_file
from imppulse_survey.extensions import db
from imppulse_survey.responses.models import IndicatorSummary, Response, SealedResponse, TextAnswer
from imppulse_survey.responses.unsealing import WITHHELD, UnsealingRefused, open_sealed_answers

from ..conftest import TEST_SECRET_KEY, make_app
from ..factories import Factories, minimal_questionnaire
from ..factories import text as texts
from .helpers import Respondent

OFFICERS = 12
TRUST = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "dont_know"]


def officer_definition(**overrides):
    definition = minimal_questionnaire(audience="officer", **overrides)
    about = definition["pages"][2]["items"]
    about.insert(0, {"key": "service", "type": "single_choice", "text": texts("Service"), "background": True,
                     "options": [{"code": 1, "label": texts("<5")}, {"code": 2, "label": texts("5+")}]})
    return definition


class Wave:
    """One officer wave answered through the web pages; ``marks[n]`` identifies officer n's answers."""

    def __init__(self, app, make: Factories):
        self.app, self.make = app, make
        self.campaign = make.campaign("testville-officers", version=make.version(officer_definition()),
                                      access_mode="invitation")
        self.wave = self.campaign.waves[0]
        self.run = secrets.token_hex(4)
        self.marks = [f"mark-{self.run}-{n:02d}-zebra" for n in range(OFFICERS)]

    def invite(self, count: int) -> list[str]:
        from imppulse_survey.campaigns.services import create_invitations

        tokens = create_invitations(self.campaign, count)
        db.session.commit()
        return tokens

    def answer(self, token: str, number: int, *, service: str = "1", lang: str = "fr"):
        client = self.app.test_client()
        assert client.get(f"/i/{token}", headers={"Accept-Language": lang}).status_code == 302
        respondent = Respondent(client, self.campaign.slug, lang)
        respondent.start()
        respondent.answer(contact="2", trust=TRUST[number])
        final = respondent.answer(district="1", service=service, comment=self.marks[number])
        assert final.status_code == 303 and final.headers["Location"].endswith("/thanks"), respondent.page
        return client

    def answer_all(self, tokens, **kwargs):
        for number, token in enumerate(tokens):
            self.answer(token, number, **kwargs)

    def release(self):
        report = self.make.release(self.campaign, self.wave)
        db.session.expire_all()
        return report

    def released_marks(self) -> list[str]:
        """The marks in the order of the released responses' ids."""
        return list(db.session.scalars(select(TextAnswer.text).join(Response, Response.id == TextAnswer.response_id)
                                       .where(Response.campaign_id == self.campaign.id).order_by(Response.id)))


#: the words of a campaign for its questionnaire's {forces} and {organiser}
NANTES = ("--forces", "fr=la police nationale et la police municipale",
          "--forces", "en=the national and municipal police",
          "--organiser", "fr=la Ville de Nantes", "--organiser", "en=the City of Nantes")

@pytest.fixture
def officers(app, make):
    return Wave(app, make)


def test_release_gives_fresh_ids_in_random_order_and_the_closing_date(officers):
    officers.answer_all(officers.invite(OFFICERS))
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    officers.release()
    order = officers.released_marks()
    assert sorted(order) == officers.marks
    # the order of the rows says nothing of the order of answering (the chance of either is 2 in 12!)
    assert order not in (officers.marks, officers.marks[::-1])
    dates = set(db.session.scalars(select(Response.submitted_on).where(Response.campaign_id == officers.campaign.id)))
    assert dates == {officers.wave.closes_dt.date()}
    submission_ids = set(db.session.scalars(select(Response.submission_id)))
    assert len(submission_ids) == OFFICERS  # fresh ones: not those the officers' browsers chose


def test_figures_do_not_move_as_officers_answer(officers, client, make):
    """A supervisor polls every figure between submissions: nothing changes until the wave is released."""
    viewer = create_user("chief@testville.fr", "a long enough password", "viewer", officers.campaign.city)
    auth = {"Authorization": f"Bearer {issue_token(viewer)}"}
    db.session.commit()
    slug = officers.campaign.slug
    urls = [f"/api/v1/campaigns/{slug}/indicators", f"/api/v1/campaigns/{slug}/indicators?by=district",
            f"/api/v1/campaigns/{slug}/indicators/trust/change?from=baseline&to=baseline"]

    def everything():
        db.session.expire_all()
        return ([client.get(url, headers=auth).get_data(as_text=True) for url in urls],
                db.session.scalar(select(func.count()).select_from(IndicatorSummary)),
                db.session.scalar(select(func.count()).select_from(Response)))

    seen = [everything()]
    for number, token in enumerate(officers.invite(OFFICERS)):
        officers.answer(token, number)
        seen.append(everything())
    assert all(snapshot == seen[0] for snapshot in seen)
    assert seen[0][1:] == (0, 0)
    officers.release()
    after = everything()
    assert after != seen[0] and after[1] > 0 and after[2] == OFFICERS


def test_no_file_of_the_database_holds_an_answer_before_the_release(officers, database_url, is_postgresql,
                                                                      app, caplog):
    """The administrator greps every file of the database (PostgreSQL: its data directory, WAL included)."""
    caplog.set_level(logging.DEBUG)
    tokens = officers.invite(OFFICERS + 1)
    officers.answer_all(tokens[:OFFICERS])
    # and one officer who saved a draft in between
    client = app.test_client()
    client.get(f"/i/{tokens[OFFICERS]}")
    draft_mark = f"draft-{officers.run}-zebra"
    respondent = Respondent(client, officers.campaign.slug)
    respondent.start()
    respondent.answer("save", contact="2", trust="3")
    respondent.answer("save", district="1", comment=draft_mark)
    files = database_files(database_url, is_postgresql)
    assert files, "no database file found to search"
    assert found_in(files, [*officers.marks, draft_mark]) == []
    assert not any(mark in record.getMessage() for mark in officers.marks for record in caplog.records)
    officers.release()
    db.session.commit()
    # the search itself works: once released, the comments are stored (as responses' free texts)
    assert found_in(database_files(database_url, is_postgresql), officers.marks[:1]) == officers.marks[:1]


def found_in(files: list[Path], marks: list[str]) -> list[str]:
    """The marks that some file holds, read by another process, as an attacker would (a process that opens and
    closes a SQLite file drops every lock it holds on it, which would break this process's own connections)."""
    script = textwrap.dedent("""
        import pathlib, sys
        data = []
        for name in sys.argv[2:]:
            try:
                data.append(pathlib.Path(name).read_bytes())
            except OSError:  # a WAL segment recycled meanwhile
                pass
        print("\\n".join(m for m in sys.argv[1].split(",") if any(m.encode() in d for d in data)))
    """)
    result = subprocess.run([sys.executable, "-c", script, ",".join(marks), *map(str, files)],
                            capture_output=True, text=True, check=True)
    return result.stdout.split()


def database_files(database_url: str, is_postgresql: bool) -> list[Path]:
    if not is_postgresql:
        path = Path(database_url.removeprefix("sqlite:///"))
        return [candidate for candidate in path.parent.iterdir() if candidate.name.startswith(path.name)]
    data = Path(db.session.execute(text("SHOW data_directory")).scalar())
    database_oid = db.session.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar()
    db.session.execute(text("CHECKPOINT"))  # the heap files too, not only the WAL
    return [path for folder in (data / "pg_wal", data / "base" / str(database_oid))
            for path in folder.iterdir() if path.is_file()]


def test_postgresql_system_columns_pair_nothing(officers, is_postgresql):
    """xmin/xmax, transaction ids and commit order: the attack that paired all 1,027 officers before."""
    if not is_postgresql:
        pytest.skip("system columns are PostgreSQL's")
    tokens = officers.invite(OFFICERS + 4)
    officers.answer_all(tokens[:OFFICERS])
    officers.release()
    db.session.commit()
    campaign_id = officers.campaign.id
    # the query that paired every officer with their answers
    paired = db.session.execute(text("SELECT i.id, r.id FROM invitations i JOIN responses r ON r.xmin = i.xmin")).all()
    assert paired == []
    # every released row was written by one transaction: one id, one commit time, for every officer
    transactions = db.session.execute(text(
        "SELECT DISTINCT r.xmin::text FROM responses r WHERE r.campaign_id = :c UNION "
        "SELECT DISTINCT a.xmin::text FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.campaign_id = :c "
        "UNION SELECT DISTINCT t.xmin::text FROM text_answers t JOIN responses r ON r.id = t.response_id "
        "WHERE r.campaign_id = :c"), {"c": campaign_id}).scalars().all()
    assert len(transactions) == 1
    # nothing written while officers answered shares it (spent ballots: one transaction each, before)
    spent = set(db.session.execute(text("SELECT xmin::text FROM spent_ballots")).scalars())
    assert len(spent) == OFFICERS and not spent & set(transactions)
    # the invitations left are the unused ones: used rows are deleted, and nothing records when
    assert db.session.execute(text("SELECT count(*) FROM invitations")).scalar() == 4


def test_postgresql_wal_records_tie_no_officer_to_a_response(officers, is_postgresql):
    """The administrator reads the write-ahead log (pg_walinspect): every record that writes a response, an
    answer or a free text of the officers comes from the one release transaction."""
    if not is_postgresql:
        pytest.skip("pg_walinspect reads PostgreSQL's log")
    db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_walinspect"))
    db.session.commit()
    start = db.session.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()
    officers.answer_all(officers.invite(OFFICERS))
    officers.release()
    db.session.commit()
    db.session.execute(text("CHECKPOINT"))  # flushes the log (the test server runs with synchronous_commit off)
    end = db.session.execute(text("SELECT pg_current_wal_flush_lsn()")).scalar()
    nodes = dict(db.session.execute(text(
        "SELECT pg_relation_filenode(c.oid)::text, c.relname FROM pg_class c "
        "WHERE c.relname IN ('responses', 'answers', 'text_answers', 'sealed_responses', 'invitations', "
        "'spent_ballots', 'indicator_summaries')")).all())
    records = db.session.execute(text(
        "SELECT xid::text, block_ref FROM pg_get_wal_records_info(:start, :end) "
        "WHERE resource_manager IN ('Heap', 'Heap2') AND block_ref IS NOT NULL"), {"start": start, "end": end}).all()
    tables_by_xid: dict[str, set[str]] = {}
    for xid, block_ref in records:
        for node in re.findall(r"rel \d+/\d+/(\d+)", block_ref):
            if node in nodes:
                tables_by_xid.setdefault(xid, set()).add(nodes[node])
    writers = {xid for xid, tables in tables_by_xid.items() if tables & {"responses", "answers", "text_answers"}}
    assert len(writers) == 1  # the release
    # officers' own transactions touch the invitation, or the ballot and its sealed answers: never both
    for xid, tables in tables_by_xid.items():
        if xid not in writers:
            assert not ({"invitations"} & tables and {"sealed_responses", "spent_ballots"} & tables)


def test_sqlite_wal_frames_tie_no_officer_to_a_response(tmp_path):
    """The administrator reads the -wal file: each commit's pages, in order. Exchanging an invitation and sealing
    answers are separate commits, and the only commit that writes responses is the release, which writes them all."""
    url = f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    app = make_app(url, tmp_path)
    with app.app_context():
        create_sqlite_file(db.engine.url.database)
        db.create_all()
        db.session.commit()
        officers = Wave(app, Factories())
        tokens = officers.invite(OFFICERS)
        wal = tmp_path / "wal.sqlite3-wal"
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        officers.answer_all(tokens)
        close_wave(officers.campaign)
        db.session.commit()
        open_sealed_answers(officers.campaign, officers.wave, officers.make.private_keys[officers.wave.id])
        commits = wal_commits(wal.read_bytes())
        tables = page_tables(db.session)
        written = [{tables.get(page, "?") for page in pages} for pages in commits]
        answers = {"responses", "answers", "text_answers"}
        releasing = [index for index, names in enumerate(written) if names & answers]
        assert len(releasing) == 1 and releasing[0] == len(written) - 1
        exchanges = [names for names in written if "invitations" in names]
        sealings = [names for names in written if "sealed_responses" in names]
        assert len(exchanges) == OFFICERS and len(sealings) == OFFICERS + 1  # + the release, which deletes them
        assert not any(names & {"sealed_responses", "spent_ballots"} for names in exchanges)
        db.session.remove()
        db.engine.dispose()


def wal_commits(wal: bytes) -> list[set[int]]:
    """The pages each committed transaction wrote, in commit order, from a SQLite WAL file (sqlite.org/fileformat)."""
    magic, _, page_size, _, salt1, salt2 = struct.unpack(">IIIIII", wal[:24])
    assert magic in (0x377F0682, 0x377F0683)
    commits, pending, offset = [], set(), 32
    while offset + 24 + page_size <= len(wal):
        page, size_after, frame_salt1, frame_salt2 = struct.unpack(">IIII", wal[offset:offset + 16])
        if (frame_salt1, frame_salt2) == (salt1, salt2):
            pending.add(page)
            if size_after:
                commits.append(pending)
                pending = set()
        offset += 24 + page_size
    return commits


def page_tables(session) -> dict[int, str]:
    """Page number → the table (or the table of the index) it belongs to, from SQLite's dbstat."""
    owners = dict(session.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")).all())
    return {page: owners.get(name, name) for name, page in session.execute(text("SELECT name, pageno FROM dbstat"))}


def test_rare_background_combinations_are_withheld_at_release(officers):
    """One officer with a service length nobody else has, another in a language nobody else used: released with
    those answers withheld, so that every combination shown is shared by at least the threshold."""
    tokens = officers.invite(OFFICERS)
    for number, token in enumerate(tokens):
        officers.answer(token, number, service="2" if number == 3 else "1", lang="en" if number == 7 else "fr")
    report = officers.release().unsealed
    threshold = officers.campaign.disclosure_threshold
    rows = db.session.execute(text(
        "SELECT r.id, r.language, a.value, a.missing FROM responses r LEFT JOIN answers a "
        "ON a.response_id = r.id AND a.item_key = 'service' WHERE r.campaign_id = :c"), {"c": officers.campaign.id})
    frame = pd.DataFrame(rows.all(), columns=["id", "language", "value", "missing"])
    frame["service"] = frame["value"].where(frame["missing"].isna(), frame["missing"])
    sizes = frame.groupby(["language", "service"], dropna=False).size()
    fully_withheld = ("und", WITHHELD)
    assert all(size >= threshold or key == fully_withheld for key, size in sizes.items()), sizes
    assert report.withheld and sum(report.withheld.values()) >= 2
    # the common answers keep every detail
    assert sizes.get(("fr", 1.0), 0) >= threshold


def test_a_release_refuses_a_small_wave_a_wrong_key_an_open_wave_and_a_second_time(officers, make):
    tokens = officers.invite(OFFICERS)
    officers.answer_all(tokens[:5])
    key = make.private_keys[officers.wave.id]
    with pytest.raises(UnsealingRefused, match="not closed"):
        open_sealed_answers(officers.campaign, officers.wave, key)
    close_wave(officers.campaign)
    db.session.commit()
    with pytest.raises(UnsealingRefused, match="fewer than the threshold"):
        open_sealed_answers(officers.campaign, officers.wave, key)
    assert db.session.scalar(select(func.count()).select_from(SealedResponse)) == 5  # still sealed
    other = make.campaign("other-officers", city=officers.campaign.city,
                          version=officers.campaign.questionnaire_version, access_mode="invitation")
    with pytest.raises(UnsealingRefused, match="not the private key"):
        open_sealed_answers(officers.campaign, officers.wave, make.private_keys[other.waves[0].id])
    with pytest.raises(UnsealingRefused, match="private key"):
        open_sealed_answers(officers.campaign, officers.wave, "imppulse-wave-key-1:damaged")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_the_release_command_reads_the_key_from_standard_input(officers, runner, make):
    officers.answer_all(officers.invite(OFFICERS))
    close_wave(officers.campaign)
    db.session.commit()
    slug = officers.campaign.slug
    wrong = runner.invoke(args=["imppulse", "release", slug, "baseline"], input="imppulse-wave-key-1:AAAA\n")
    assert wrong.exit_code == 1 and "private key" in wrong.output
    result = runner.invoke(args=["imppulse", "release", slug, "baseline"],
                           input=make.private_keys[officers.wave.id] + "\n")
    assert result.exit_code == 0, result.output
    assert f"{slug} baseline: {OFFICERS} sealed answers opened" in result.output
    again = runner.invoke(args=["imppulse", "release", slug, "baseline"],
                          input=make.private_keys[officers.wave.id] + "\n")
    assert again.exit_code == 1 and "is released already: a reissue says why" in again.output


def test_the_private_key_is_printed_once_and_stored_nowhere(runner, make, tmp_path):
    make.standard_versions()
    make.city("nantes")
    created = runner.invoke(args=["imppulse", "campaign", "create", "nantes-officers", "--city", "nantes",
                                  "--questionnaire", "officer-feedback", *NANTES, "--opens", "2026-01-01"])
    assert created.exit_code == 0, created.output
    key = re.search(r"imppulse-wave-key-1:\S+", created.output).group(0)
    db.session.expire_all()
    dump = "\n".join(str(row) for table in db.metadata.sorted_tables
                     for row in db.session.execute(table.select()).all())
    assert key not in dump and key.split(":")[1] not in dump
    assert not any(key.encode() in path.read_bytes() for path in Path(tmp_path).rglob("*") if path.is_file())
    reopened = runner.invoke(args=["imppulse", "campaign", "open", "nantes-officers", "--wave", "baseline"])
    assert reopened.exit_code == 0 and "imppulse-wave-key-1:" not in reopened.output  # once only


def test_production_refuses_to_start_beside_demo_keys(tmp_path, database_url):
    environ = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY,
               "PUBLIC_BASE_URL": "https://survey.example.org"}
    create_app(ProductionConfig(environ, instance_path=tmp_path))  # starts without them
    (tmp_path / "demo-keys").mkdir()
    with pytest.raises(ConfigError, match="demo-keys"):
        create_app(ProductionConfig(environ, instance_path=tmp_path))

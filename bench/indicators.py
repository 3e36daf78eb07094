"""Benchmark: the indicator endpoint by district over a campaign of 1,000,000 resident responses.

    .venv/bin/python bench/indicators.py                 # SQLite file in a temporary directory
    .venv/bin/python bench/indicators.py --database-url postgresql://postgres@127.0.0.1:55432/imppulse_bench_indicators

It migrates a database, creates a resident campaign with the standard questionnaire over two waves, and
bulk-loads the responses in the database itself (``INSERT … SELECT`` from a generated series: every item a
respondent would see, random valid codes, a few missing-value codes, the conditional contact pages only
after a contact, random weights), then builds the indicator summaries once, as ``flask imppulse indicators
rebuild`` would after an import. It closes the open wave and times the release of each wave (every releasable
table, suppression over all of them, the LP audit; target under 2 minutes). It then starts gunicorn on the app
and times, in turn and in the same run:

- the whole endpoint ``GET /api/v1/campaigns/<slug>/indicators?by=district`` over HTTP, with a bearer token
  (authentication, reading the release's cells, the estimates and the JSON; target under 20 ms);
- the bare summary query the endpoint sends, through the database driver alone;
- the bare aggregate over the answers: the same sufficient statistics grouped from every answer, which is
  what the endpoint would cost without the summaries.

It checks that the endpoint's counts equal the bare aggregate's, and prints medians and ratios. It asserts
nothing about time. See bench/README.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import (
    HOST,
    ROOT,
    Server,
    create_campaign,
    describe_url,
    ensure_postgresql_database,
    free_port,
    make_app,
    migrate,
    server_environment,
    sqlalchemy_url,
)

TARGET_MS, TARGET_RATIO, TARGET_RELEASE_S = 20, 1.5, 120
WAVES = ["baseline", "follow-up"]
MISSING_PER_MILLE = 40  # share of answers that are a missing-value code, where the item offers one
ANSWER_INDEXES = {"ix_answers_response_item": "response_id, item_key"}
HASH_RANGE = 1_000_003  # a prime
MULTIPLIERS = (48271, 69621, 16807, 39373, 40692, 40014, 63308, 71473, 85711, 92717, 103669, 117419, 124139,
               150889, 176753, 191693, 218971, 262139, 298483, 331777, 376483, 419053, 473191, 524287, 573493,
               618463, 670763, 725663, 784697, 841459, 900001, 951161, 985109)


class Dialect:
    """The few SQL expressions that differ between SQLite and PostgreSQL in the bulk load."""

    def __init__(self, name: str):
        self.name = name

    def random_below(self, n: int) -> str:
        if self.name == "postgresql":
            return f"floor(random() * {n})::int"
        return f"(abs(random()) % {n})"

    @staticmethod
    def scrambled(column: str, salt: int) -> str:
        """A number in [0, HASH_RANGE) that looks random but is a function of the row, so that SQLite, which
        re-evaluates random() wherever a flattened subquery's column is used, sees one draw per row."""
        return f"((CAST({column} AS BIGINT) * {MULTIPLIERS[salt % len(MULTIPLIERS)]} + {salt}) % {HASH_RANGE})"

    def series(self, count: int) -> str:
        """A ``WITH`` clause naming a table ``series(i)`` of 1..count."""
        if self.name == "postgresql":
            return f"WITH series(i) AS (SELECT generate_series(1, {count}))"
        return f"WITH RECURSIVE series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < {count})"

    def submission_id(self, number: str, prefix: str) -> str:
        if self.name == "postgresql":
            return f"'{prefix}' || lpad(({number})::text, 12, '0')"
        return f"'{prefix}' || printf('%012d', {number})"


def pick(dialect: Dialect, draw: str, codes: list[int]) -> str:
    """One of ``codes`` chosen by ``draw`` (a random number ≥ 0)."""
    if codes == list(range(codes[0], codes[0] + len(codes))):
        return f"({codes[0]} + ({draw}) % {len(codes)})"
    cases = " ".join(f"WHEN {index} THEN {code}" for index, code in enumerate(codes))
    return f"(CASE ({draw}) % {len(codes)} {cases} END)"


def answer_plan(definition) -> list[tuple[str, list[int], str | None, dict | None]]:
    """(answer key, codes, missing-value code name or None, condition or None) in questionnaire order."""
    from imppulse_survey.questionnaires.definition import item_type

    plan = []
    for page in definition.pages:
        for item in page["items"]:
            kind = item_type(item)
            if not kind.holds_one_number:  # free text; the district comes from the response
                continue
            conditions = [c for c in (page.get("show_if"), item.get("show_if")) if c]
            if len(conditions) > 1 or any(set(c) != {"item", "equals"} for c in conditions):
                raise SystemExit(f"{item['key']}: the bench only generates show_if of the form {{item, equals}}")
            low, high = kind.value_range(item) if kind.codes(item) is None else (None, None)
            codes = kind.codes(item) or list(range(int(low), int(high) + 1))
            missing = (item.get("missing") or [None])[0]
            for key in kind.answer_keys(item):
                plan.append((key, codes, missing, conditions[0] if conditions else None))
    return plan


def bulk_load(app, slug: str, count: int, summaries: bool = True) -> dict:
    """Responses and their answers generated inside the database (and, unless told not to, the indicator
    summaries built from them); returns timings in seconds."""
    from sqlalchemy import select, text

    from imppulse_survey.campaigns.models import Campaign, District
    from imppulse_survey.extensions import db
    from imppulse_survey.questionnaires.published import published_definition
    from imppulse_survey.responses.summaries import rebuild_summaries

    timings = {}
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
        definition = published_definition(campaign.questionnaire_version)
        district_ids = db.session.scalars(select(District.id).filter_by(city_id=campaign.city_id)
                                          .order_by(District.id)).all()
        wave_ids = [wave.id for wave in campaign.waves]
        dialect = Dialect(db.session.get_bind().dialect.name)
        run = db.session.execute
        started = time.perf_counter()
        if dialect.name == "postgresql":  # answers reference the responses just generated: skip the FK triggers
            run(text("SET session_replication_role = replica"))
        for index in ANSWER_INDEXES:  # built once after the load, not maintained row by row
            run(text(f"DROP INDEX {index}"))
        prefix = slug.encode().hex()[-8:].rjust(8, "0") + "-0000-4000-8000-"
        run(text(
            f"{dialect.series(count)} INSERT INTO responses (campaign_id, wave_id, questionnaire_version_id, language,"
            " district_id, channel, submission_id, submitted_on, weight) SELECT "
            f"{campaign.id}, {pick(dialect, 'i', wave_ids)}, {campaign.questionnaire_version_id}, 'fr', "
            f"{pick(dialect, dialect.scrambled('i', 0), district_ids)}, 'demo', "
            f"{dialect.submission_id('i', prefix)}, '2026-10-01', 0.4 + {dialect.random_below(1000)} / 500.0 "
            "FROM series"))
        run(text("INSERT INTO answers (response_id, item_key, value, missing) SELECT r.id, 'district', d.code, NULL"
                 f" FROM responses r JOIN districts d ON d.id = r.district_id WHERE r.campaign_id = {campaign.id}"))
        for salt, (key, codes, missing, condition) in enumerate(answer_plan(definition), start=1):
            value = pick(dialect, "r.draw", codes)
            if missing:
                value = f"CASE WHEN r.draw < {MISSING_PER_MILLE * HASH_RANGE // 1000} THEN NULL ELSE {value} END"
                missing_value = f"CASE WHEN r.draw < {MISSING_PER_MILLE * HASH_RANGE // 1000} THEN '{missing}' END"
            else:
                missing_value = "NULL"
            source = f"SELECT id, {dialect.scrambled('id', salt)} AS draw FROM responses WHERE campaign_id = {campaign.id}"
            if condition:
                source = (f"SELECT a.response_id AS id, {dialect.scrambled('a.response_id', salt)} AS draw FROM answers a"
                          f" JOIN responses p ON p.id = a.response_id WHERE p.campaign_id = {campaign.id}"
                          f" AND a.item_key = '{condition['item']}' AND a.value = {condition['equals']}")
            run(text(f"INSERT INTO answers (response_id, item_key, value, missing) SELECT r.id, '{key}', {value},"
                     f" {missing_value} FROM ({source}) r"))
        timings["rows"] = time.perf_counter() - started
        started = time.perf_counter()
        for index, columns in ANSWER_INDEXES.items():
            run(text(f"CREATE INDEX {index} ON answers ({columns})"))
        timings["indexes"] = time.perf_counter() - started
        if dialect.name == "postgresql":
            run(text("SET session_replication_role = DEFAULT"))
        db.session.commit()
        started = time.perf_counter()
        analyze(dialect.name)
        timings["analyze"] = time.perf_counter() - started
        if summaries:
            started = time.perf_counter()
            rebuild_summaries(campaign.id, definition)
            db.session.commit()
            analyze(dialect.name, "indicator_summaries")
            timings["summaries"] = time.perf_counter() - started
        timings["answers"] = db.session.scalar(text(
            f"SELECT count(*) FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.campaign_id = {campaign.id}"))
        db.session.remove()
    return timings


def release_waves(app, slug: str) -> list[tuple[str, float, int]]:
    """Close the open wave and release every wave, as ``flask imppulse release`` does: (label, seconds, cells)."""
    from sqlalchemy import select

    from imppulse_survey.campaigns.models import Campaign
    from imppulse_survey.campaigns.services import close_wave
    from imppulse_survey.extensions import db
    from imppulse_survey.releases.services import cell_count, make_release

    made = []
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
        close_wave(campaign)
        db.session.commit()
        for wave in campaign.waves:
            started = time.perf_counter()
            release = make_release(campaign, wave)
            made.append((wave.label, time.perf_counter() - started, cell_count(release)))
        db.session.remove()
    return made


def analyze(dialect: str, table: str = "") -> None:
    """Planner statistics, as after any bulk load: without them SQLite joins the answers in a poor order."""
    from sqlalchemy import text

    from imppulse_survey.extensions import db

    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    else:
        db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()


def bare_queries(app, slug: str) -> dict[str, str]:
    """The endpoint's summary query, and the same statistics grouped from the answers, as literal SQL."""
    from sqlalchemy import select

    from imppulse_survey.campaigns.models import Campaign
    from imppulse_survey.extensions import db
    from imppulse_survey.indicators.summaries import summary_query
    from imppulse_survey.releases.figures import campaign_indicators
    from imppulse_survey.responses.scoring_sql import cell_query

    with app.app_context():
        campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
        indicators = campaign_indicators(campaign)
        dialect = db.session.get_bind().dialect
        queries = {
            "summary": summary_query(campaign.id, indicators, ["wave", "district"]),
            "answers": cell_query(campaign.id, indicators, ["wave", "district"]),
        }
        db.session.remove()
        return {name: str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                for name, query in queries.items()}


def time_sql(app, sql: str, repeat: int) -> tuple[list[float], list]:
    """Seconds per execution through the bare DB-API cursor, and the last result's rows."""
    from imppulse_survey.extensions import db

    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            times, rows = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                cursor.execute(sql)
                rows = cursor.fetchall()
                times.append(time.perf_counter() - started)
            connection.rollback()
            return times, rows
        finally:
            connection.close()


def time_endpoint(port: int, path: str, token: str, repeat: int) -> tuple[list[float], dict]:
    times, body = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=120)
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        times.append(time.perf_counter() - started)
        connection.close()
        if response.status != 200:
            raise SystemExit(f"the endpoint answered {response.status}: {payload[:500]!r}")
        body = json.loads(payload)
    return times, body


def staff_token(app) -> str:
    from imppulse_survey.accounts.services import create_user, issue_token
    from imppulse_survey.extensions import db

    with app.app_context():
        user = create_user(f"bench-{time.time_ns()}@efus.eu", "a long enough bench password", "admin", None)
        token = issue_token(user)
        db.session.commit()
        db.session.remove()
        return token


def counts_agree(body: dict, answer_rows: list) -> bool:
    """Whether each indicator's total n over the endpoint's cells equals the bare aggregate's."""
    published = {table["id"]: sum(cell["n"] or 0 for cell in table["cells"]) for table in body["indicators"]}
    suppressed = any(cell["status"] == "suppressed" for table in body["indicators"] for cell in table["cells"])
    grouped: dict[str, int] = {}
    for row in answer_rows:
        grouped[row[0]] = grouped.get(row[0], 0) + row[3]  # indicator, wave, district, n, …
    return not suppressed and published == grouped


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(times) * 1000:9.1f} ms   p90 {p90 * 1000:9.1f} ms   (n={len(times)})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a new SQLite file in a temporary directory)")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=25, help="timed runs of the endpoint and the summary query")
    parser.add_argument("--answer-repeat", type=int, default=3, help="timed runs of the aggregate over answers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="imppulse-bench-indicators-"))
    server = None
    try:
        database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
        if sqlalchemy_url(database_url).startswith("postgresql"):
            ensure_postgresql_database(database_url)
        print(f"IMPPULSE Survey indicators benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
              f"Python {platform.python_version()}, database {describe_url(database_url)}")
        migrate(database_url)
        app = make_app(database_url)
        slug = create_campaign(app, waves=WAVES)
        loaded = bulk_load(app, slug, args.responses)
        print(f"loaded {args.responses:,} responses and {loaded['answers']:,} answers in {loaded['rows']:.1f} s; "
              f"indexes {loaded['indexes']:.1f} s; analyze {loaded['analyze']:.1f} s; "
              f"summaries built in {loaded['summaries']:.1f} s")
        for label, seconds, cells in release_waves(app, slug):
            print(f"release of wave {label}: built in {seconds:.1f} s ({cells:,} cells); target under "
                  f"{TARGET_RELEASE_S} s {'met' if seconds < TARGET_RELEASE_S else 'not met'}")
        token = staff_token(app)
        queries = bare_queries(app, slug)

        port = free_port()
        server = Server("app", [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"{HOST}:{port}",
                                "--workers", str(args.workers), "--timeout", "600", "--log-level", "warning"],
                        port, workdir / "gunicorn.log")
        server.start(server_environment(database_url), ROOT)
        server.wait_ready(lambda: http.client.HTTPConnection(HOST, port, timeout=5).request("GET", "/healthz"))

        path = f"/api/v1/campaigns/{slug}/indicators?by=district"
        time_endpoint(port, path, token, 2 * args.workers)  # warm each worker: imports, caches, connections
        time_sql(app, queries["summary"], 2)
        endpoint, body = time_endpoint(port, path, token, args.repeat)
        summary, _ = time_sql(app, queries["summary"], args.repeat)
        answers, answer_rows = time_sql(app, queries["answers"], args.answer_repeat)

        cells = sum(len(table["cells"]) for table in body["indicators"])
        size = len(json.dumps(body))
        print(f"\nGET {path.replace(slug, '<slug>')}: {len(body['indicators'])} indicators, {cells} cells, "
              f"{size / 1024:.0f} KB of JSON")
        print(f"  endpoint (HTTP, whole request)      {describe(endpoint)}")
        print(f"  bare summary query (driver only)    {describe(summary)}")
        print(f"  bare aggregate over the answers     {describe(answers)}")
        endpoint_ms = statistics.median(endpoint) * 1000
        ratio_summary = statistics.median(endpoint) / statistics.median(summary)
        ratio_answers = statistics.median(endpoint) / statistics.median(answers)
        print(f"\n  endpoint / bare summary query        {ratio_summary:.2f}×")
        print(f"  endpoint / bare aggregate on answers {ratio_answers:.4f}×")
        print(f"  endpoint counts = bare aggregate     {'yes' if counts_agree(body, answer_rows) else 'NO'}")
        print(f"  target < {TARGET_MS} ms                      {'met' if endpoint_ms < TARGET_MS else 'not met'}"
              f" ({endpoint_ms:.1f} ms)")
        print(f"  target ≤ {TARGET_RATIO}× the bare query          "
              f"{'met' if ratio_answers <= TARGET_RATIO else 'not met'} against the aggregate over the answers, "
              f"{'met' if ratio_summary <= TARGET_RATIO else 'not met'} against the summary query")
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

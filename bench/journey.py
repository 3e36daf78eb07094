"""Benchmark: residents walking the whole questionnaire through the HTML pages, served by gunicorn.

    .venv/bin/python bench/journey.py                       # SQLite file in a temporary directory
    .venv/bin/python bench/journey.py --database-url postgresql://postgres@127.0.0.1:55432/imppulse_bench

Each simulated resident does what a browser without JavaScript does: the open link (a redirect to their
language), the introduction, "Start", then every page with its answers and the form's hidden fields (the CSRF
token, the answers of earlier pages), following each redirect to the next page's own address with the cookies
the server set (post/redirect/get), to the thank-you page. N residents walk at once, each with its own
keep-alive connection and cookies, for a fixed time. It prints journeys per second, requests per journey, the
gunicorn workers' CPU time per journey (user + system, read from /proc: what the server spends, whatever the
load generator on the same machine costs), latency per request, and stored == accepted at the end. It prints
figures only; it asserts nothing about time.

See bench/README.md for the options and docs/benchmarks.md for recorded runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
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
from submissions import cpu_snapshot, gunicorn_command, http_request, random_answers, stored_counts

from imppulse_survey.questionnaires.types import ITEM_TYPES

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
START = re.compile(r'<form method="get" action="([^"]+)">')
TARGET_CPU_MS = 30


class Browser:
    """One resident's connection and cookies: what a browser keeps between pages."""

    def __init__(self, port: int, timeout: float):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.latencies: list[float] = []
        self.requests = 0
        #: what was sent and answered, request by request, to replay against bare_app.py
        self.recorded: list[Recorded] = []

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of one request, keeping the cookies it sets."""
        headers = {"Host": HOST, "Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read().decode("utf-8", "replace")
        self.latencies.append(time.perf_counter() - started)
        self.requests += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        location = response.headers.get("Location", "")
        self.recorded.append(Recorded(method, path, body, headers, response.status, len(payload.encode())))
        return response.status, urlsplit(location).path if location else "", payload

    def follow(self, status: int, location: str, body: str) -> tuple[int, str, str]:
        while status in (301, 302, 303):
            status, location, body = self.request("GET", location)
        return status, location, body

    def close(self):
        self.connection.close()


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: bytes | None
    headers: dict
    status: int
    length: int

    def replay(self, connection: http.client.HTTPConnection) -> int:
        """Send the same request to bare_app.py, telling it to answer as the app did."""
        headers = dict(self.headers, **{"X-Bench-Status": str(self.status), "X-Bench-Length": str(self.length)})
        connection.request(self.method, self.path, body=self.body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status


@dataclass
class Walk:
    """The answers of one resident, by page key: form fields for each page's items."""

    pages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def walks(questionnaire: dict, count: int, seed: int) -> list[Walk]:
    """``count`` residents' answers: random valid codes, the conditions' wanted answers where they lead on."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        answers, _ = random_answers(questionnaire, rng)
        walk = Walk()
        for page in questionnaire["pages"]:
            fields: list[tuple[str, str]] = []
            for item in page["items"]:
                for key in ITEM_TYPES[item["type"]].answer_keys(item):
                    value = answers.get(key)
                    for one in value if isinstance(value, list) else [value]:
                        if one is not None:
                            fields.append((key, str(one)))
            walk.pages[page["key"]] = fields
        made.append(walk)
    return made


def journey(browser: Browser, slug: str, walk: Walk) -> bool:
    """One resident from the open link to the thank-you page; True when the answers were accepted."""
    status, location, body = browser.follow(*browser.request("GET", f"/s/{slug}/"))
    address = f"/fr/s/{slug}/"
    for _ in range(40):  # the introduction, then each page; more would be a loop
        if status != 200:
            return False
        hidden = [(name, unescape(value)) for name, value in HIDDEN.findall(body)]
        page_key = next((value for name, value in hidden if name == "_page"), None)
        if page_key is None:  # the introduction, whose "Start" button GETs the first page
            status, location, body = browser.request("GET", unescape(START.search(body).group(1)))
            continue
        own = {key for key, _ in walk.pages.get(page_key, [])}
        form = [(name, value) for name, value in hidden if name not in own] + walk.pages.get(page_key, [])
        form.append(("_action", "next"))
        status, location, body = browser.request("POST", address, form)
        if status in (302, 303) and location.endswith("/thanks"):
            status, _, _ = browser.request("GET", location)
            return status == 200
        status, location, body = browser.follow(status, location, body)
    return False


@dataclass
class Load:
    journeys: int = 0
    failed: int = 0
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_load(port: int, slug: str, all_walks: list[Walk], residents: int, seconds: float, warmup: float,
             timeout: float, server: Server) -> tuple[Load, dict, float]:
    """Residents walk for warm-up + ``seconds``; only journeys that end in the measured window are counted."""
    load = Load()
    start_measure = time.monotonic() + warmup
    stop = start_measure + seconds
    snapshot: dict = {}

    def resident(number: int):
        rng = random.Random(number)
        while time.monotonic() < stop:
            browser = Browser(port, timeout)  # a new resident: a new connection, no cookies
            began = time.monotonic()
            try:
                accepted = journey(browser, slug, rng.choice(all_walks))
            except (OSError, http.client.HTTPException):
                accepted = False
            finally:
                browser.close()
            if began >= start_measure and time.monotonic() <= stop:
                with load.lock:
                    load.journeys += accepted
                    load.failed += not accepted
                    load.requests += browser.requests
                    load.latencies.extend(browser.latencies)
            elif accepted:
                with load.lock:
                    load.unmeasured = getattr(load, "unmeasured", 0) + 1

    threads = [threading.Thread(target=resident, args=(number,), daemon=True) for number in range(residents)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start_measure - time.monotonic()))
    snapshot["before"] = cpu_snapshot(server)
    measured_from = time.monotonic()
    time.sleep(max(0.0, stop - time.monotonic()))
    snapshot["after"] = cpu_snapshot(server)
    measured = time.monotonic() - measured_from
    for thread in threads:
        thread.join()
    cpu = {name: snapshot["after"][name] - snapshot["before"][name] for name in snapshot["before"]}
    return load, cpu, measured


def run_floor(port: int, journeys: list[list[Recorded]], residents: int, seconds: float, warmup: float,
              timeout: float, server: Server) -> tuple[int, dict, float]:
    """Residents replay recorded journeys against bare_app.py: (journeys replayed in the window, CPU, seconds)."""
    done = [0]
    lock = threading.Lock()
    start_measure = time.monotonic() + warmup
    stop = start_measure + seconds

    def resident(number: int):
        rng = random.Random(number)
        while time.monotonic() < stop:
            connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
            began = time.monotonic()
            try:
                ok = all(recorded.replay(connection) == recorded.status for recorded in rng.choice(journeys))
            except (OSError, http.client.HTTPException):
                ok = False
            finally:
                connection.close()
            if ok and began >= start_measure and time.monotonic() <= stop:
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=resident, args=(number,), daemon=True) for number in range(residents)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start_measure - time.monotonic()))
    before = cpu_snapshot(server)
    measured_from = time.monotonic()
    time.sleep(max(0.0, stop - time.monotonic()))
    after = cpu_snapshot(server)
    measured = time.monotonic() - measured_from
    for thread in threads:
        thread.join()
    return done[0], {name: after[name] - before[name] for name in before}, measured


def measure_floor(args, env: dict, workdir: Path, all_walks: list[Walk], app_port: int, slug: str) -> float:
    """Server CPU per journey of bare_app.py answering journeys recorded against the app (one per walk tried)."""
    recorded = []
    for walk in all_walks[:8]:
        browser = Browser(app_port, args.timeout)
        if journey(browser, slug, walk):
            recorded.append(browser.recorded)
        browser.close()
    port = free_port()
    bare = Server("bare", gunicorn_command("bare_app:app", port, args, extra=["--pythonpath", "bench"]), port,
                  workdir / "bare-gunicorn.log")
    bare.start(env, ROOT)
    try:
        bare.wait_ready(lambda: http_request(port, "GET", "/"))
        replayed, cpu, measured = run_floor(port, recorded, args.residents, args.seconds, args.warmup, args.timeout,
                                            bare)
    finally:
        bare.stop()
    per_journey = cpu["server"] / max(replayed, 1) * 1000
    requests = sum(len(one) for one in recorded) / len(recorded)
    print(f"  floor: the same {requests:.0f} requests (bodies, cookies, answer sizes) replayed against bench/bare_app.py,"
          f" a Flask app that does nothing: {replayed / measured:.1f} journeys/s, "
          f"**{per_journey:.1f} ms of server CPU per journey** ({per_journey / requests:.2f} ms per request)")
    return per_journey


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--database-url", help="postgresql://… (created if missing, then migrated); "
                        "default: a new SQLite file in a temporary directory")
    parser.add_argument("--seconds", type=float, default=20, help="measured duration")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--residents", type=int, default=8, help="residents walking at once")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
    parser.add_argument("--keepalive", type=int, help="gunicorn --keep-alive seconds (gthread)")
    parser.add_argument("--timeout", type=float, default=30, help="client timeout per request, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (SQLite file, logs)")
    parser.add_argument("--floor", action="store_true", help="then replay the same journeys against "
                        "bench/bare_app.py, a Flask app that does nothing: what gunicorn and Flask alone cost")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="imppulse-journey-"))
    server = None
    try:
        if args.database_url:
            database_url = args.database_url
            if sqlalchemy_url(database_url).startswith("postgresql"):
                ensure_postgresql_database(database_url)
        else:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        print(f"IMPPULSE Survey respondent journey benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
        print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
        print(f"database: {describe_url(database_url)}")
        migrate(database_url)
        app = make_app(database_url)
        slug = create_campaign(app, waves=["bench"])
        before = stored_counts(app, slug)[0]

        port = free_port()
        server = Server("app", gunicorn_command("app:app", port, args), port, workdir / "app-gunicorn.log")
        env = server_environment(database_url)
        env["PUBLIC_BASE_URL"] = f"http://{HOST}:{port}"
        server.start(env, ROOT)
        questionnaire_path = f"/api/v1/campaigns/{slug}/questionnaire?lang=fr"
        server.wait_ready(lambda: http_request(port, "GET", questionnaire_path))
        status, payload = http_request(port, "GET", questionnaire_path)
        if status != 200:
            raise SystemExit(f"GET {questionnaire_path} answered {status}: {payload[:300]!r}")
        all_walks = walks(json.loads(payload), 64, seed=2026)
        print(f"gunicorn: {' '.join(server.command[server.command.index('--workers'):])}")

        probe = Browser(port, args.timeout)
        if not journey(probe, slug, all_walks[0]):
            raise SystemExit(f"the first journey did not reach the thank-you page:\n{server.tail()}")
        probe.close()
        print(f"one journey: {probe.requests} requests (redirects included)")
        print(f"load: {args.residents} residents at once, {args.warmup:g} s warm-up then {args.seconds:g} s measured")

        load, cpu, measured = run_load(port, slug, all_walks, args.residents, args.seconds, args.warmup,
                                       args.timeout, server)
        db_url_kind = sqlalchemy_url(database_url).split(":", 1)[0]
        stored = stored_counts(app, slug)[0] - before
        accepted = 1 + load.journeys + getattr(load, "unmeasured", 0)
        latencies = sorted(load.latencies)
        rate = load.journeys / measured
        cpu_per_journey = cpu["server"] / max(load.journeys, 1) * 1000
        print()
        print(f"Journeys ({db_url_kind}):")
        print(f"  journeys completed in the window: {load.journeys} ({load.failed} failed), "
              f"{rate:.1f} journeys/s, {load.requests / max(load.journeys, 1):.1f} requests each")
        if latencies:
            print(f"  request latency: median {statistics.median(latencies) * 1000:.1f} ms, "
                  f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms")
        print(f"  CPU in the window: gunicorn workers {cpu['server']:.1f} s, PostgreSQL {cpu['postgres']:.1f} s, "
              f"load generator {cpu['load generator']:.1f} s, machine {cpu['machine']:.1f} of "
              f"{cpu['machine total']:.1f} s")
        print(f"  **server CPU per journey: {cpu_per_journey:.1f} ms** "
              f"({cpu_per_journey / max(load.requests / max(load.journeys, 1), 1):.2f} ms per request)"
              + (f" + PostgreSQL {cpu['postgres'] / max(load.journeys, 1) * 1000:.1f} ms" if cpu["postgres"] else ""))
        print(f"  stored {stored}, accepted {accepted}: stored == accepted: {'yes' if stored == accepted else 'NO'}")
        print(f"  target: server CPU per journey < {TARGET_CPU_MS} ms: "
              f"{'met' if cpu_per_journey < TARGET_CPU_MS else 'NOT met'}")
        if args.floor:
            floor = measure_floor(args, env, workdir, all_walks, port, slug)
            print(f"  the app's own work: {cpu_per_journey - floor:.1f} ms per journey "
                  f"({cpu_per_journey:.1f} − {floor:.1f})")
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        if server:
            server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

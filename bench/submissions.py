"""Benchmark: complete questionnaire submissions through the JSON API, served by gunicorn.

    .venv/bin/python bench/submissions.py                       # SQLite file in a temporary directory
    .venv/bin/python bench/submissions.py --database-url postgresql://postgres@127.0.0.1:55432/imppulse_bench

It prepares a database (migrations, then an open resident campaign with the standard questionnaire), starts
gunicorn on the app and a second gunicorn on a bare Flask app (bench/bare_app.py) with the same settings,
then drives each in turn with N concurrent keep-alive clients from one asyncio loop on 127.0.0.1, and prints
figures: submissions per second, latency percentiles, errors by status, stored == accepted, the bare
endpoint's rate and the ratio. It prints figures only; it asserts nothing about time. It exits non-zero only
when the benchmark could not run (setup failed, or the first submission was refused).

See bench/README.md for the options and docs/benchmarks.md for recorded runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
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

from imppulse_survey.questionnaires.conditions import evaluate
from imppulse_survey.questionnaires.types import ITEM_TYPES, AnswerContext

BENCH = Path(__file__).resolve().parent
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
TARGET_RATE, TARGET_P99_MS = 500, 100

# ---------------------------------------------------------------------------------------------------------
# Database: migrate, then an open resident campaign with the standard questionnaire
# ---------------------------------------------------------------------------------------------------------


def stored_counts(app, slug: str) -> tuple[int, int, int]:
    """(responses, coded answers, text answers) stored for the campaign."""
    from sqlalchemy import func, select

    from imppulse_survey.campaigns.models import Campaign
    from imppulse_survey.extensions import db
    from imppulse_survey.responses.models import Answer, Response, TextAnswer

    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).filter_by(slug=slug))
        responses = select(Response.id).where(Response.campaign_id == campaign_id)
        counts = (
            db.session.scalar(select(func.count()).select_from(Response).where(Response.campaign_id == campaign_id)),
            db.session.scalar(select(func.count()).select_from(Answer).where(Answer.response_id.in_(responses))),
            db.session.scalar(
                select(func.count()).select_from(TextAnswer).where(TextAnswer.response_id.in_(responses))),
        )
        db.session.remove()
        return counts


def total_responses(app) -> int:
    from sqlalchemy import func, select

    from imppulse_survey.extensions import db
    from imppulse_survey.responses.models import Response

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Response))
        db.session.remove()
        return count


# ---------------------------------------------------------------------------------------------------------
# Answers: a complete, valid submission built from the API's own questionnaire
# ---------------------------------------------------------------------------------------------------------


def wanted_by_conditions(questionnaire: dict) -> dict:
    """Answers that make every show_if hold where one positive leaf can (police_contact = 1 and the like)."""
    wanted = {}

    def walk(condition, negated=False):
        if "not" in condition:
            walk(condition["not"], not negated)
        elif "all" in condition or "any" in condition:
            for part in condition.get("all") or condition.get("any"):
                walk(part, negated)
        elif not negated and "equals" in condition:
            wanted.setdefault(condition["item"], condition["equals"])
        elif not negated and "in" in condition:
            wanted.setdefault(condition["item"], condition["in"][0])

    for page in questionnaire["pages"]:
        for element in [page, *page["items"]]:
            if "show_if" in element:
                walk(element["show_if"])
    return wanted


def random_answers(questionnaire: dict, rng: random.Random) -> tuple[dict, int]:
    """A complete set of answers with random valid codes, and how many of its keys count (shown items only)."""
    forced = wanted_by_conditions(questionnaire)
    context = AnswerContext({district["code"]: district["code"] for district in questionnaire["districts"]})
    answers: dict = {}
    counted = 0
    for page in questionnaire["pages"]:
        page_shown = evaluate(page["show_if"], answers) if "show_if" in page else True
        for item in page["items"]:
            shown = page_shown and (evaluate(item["show_if"], answers) if "show_if" in item else True)
            kind = ITEM_TYPES[item["type"]]
            for key in kind.answer_keys(item):
                value = forced[key] if key in forced else kind.simulated(item, key, rng, None, context)
                if value is None and not kind.is_coded:  # the respondent's form carries comments too
                    value = rng.choice(["Rien à signaler.", "Plus de présence à pied dans le quartier, svp.",
                                        "Bon contact avec les agents lors de la fête du quartier."])
                answers[key] = value
                counted += shown
    return answers, counted


@dataclass
class RequestMaker:
    """Pre-encoded HTTP requests; each call puts a fresh uuid4 into one of the pre-built bodies."""

    path: str
    bodies: list[bytes]
    index: int = 0

    def __post_init__(self):
        self.heads = [
            (f"POST {self.path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
             f"Accept: application/json\r\nConnection: keep-alive\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            for body in self.bodies
        ]

    def __call__(self) -> bytes:
        self.index = (self.index + 1) % len(self.bodies)
        body = self.bodies[self.index].replace(PLACEHOLDER_ID.encode(), str(uuid.uuid4()).encode(), 1)
        return self.heads[self.index] + body


def submission_bodies(questionnaire: dict, count: int, seed: int) -> tuple[list[bytes], int]:
    rng = random.Random(seed)
    bodies, counted = [], []
    for _ in range(count):
        answers, shown = random_answers(questionnaire, rng)
        counted.append(shown)
        body = {"submission_id": PLACEHOLDER_ID, "language": questionnaire["language"], "answers": answers}
        bodies.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    return bodies, min(counted)


# ---------------------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------------------


def gunicorn_command(app: str, port: int, args, extra: list[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"{HOST}:{port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--timeout", "60", "--graceful-timeout", "10",
               "--backlog", "2048", "--log-level", "warning", *extra]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    if args.keepalive is not None:
        command += ["--keep-alive", str(args.keepalive)]
    return command


def http_request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    import http.client

    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------------------
# Load generator: N clients in one asyncio loop, raw HTTP/1.1 with keep-alive when the server allows it
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    """What one load phase saw. ``window`` figures exclude the warm-up; ``all`` figures cover the whole run."""

    name: str
    seconds: float = 0.0
    window_latencies: list[float] = field(default_factory=list)  # seconds, successful requests in the window
    window_status: dict = field(default_factory=dict)
    all_status: dict = field(default_factory=dict)
    connections: int = 0
    cpu: dict = field(default_factory=dict)  # CPU seconds in the window by who used them (see cpu_snapshot)
    busy_before: float = 0.0  # fraction of the machine busy in the second before the load (someone else's work)

    def count(self, ok_status: int) -> int:
        return self.window_status.get(ok_status, 0)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) seconds of all CPUs together, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / ticks, total / ticks


def cpu_snapshot(server: Server | None) -> dict:
    """CPU seconds used so far by the app's gunicorn, PostgreSQL's processes and this process, and the machine.

    Processes that end between two snapshots are not seen, so "other" is what the machine did besides these.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    server_pids = set(server.worker_pids()) if server else set()
    usage = {"server": 0.0, "postgres": 0.0}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        name, fields_ = stat[stat.index("(") + 1:stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        seconds = (int(fields_[11]) + int(fields_[12])) / ticks
        if int(entry.name) in server_pids:
            usage["server"] += seconds
        elif name.startswith("postgres"):
            usage["postgres"] += seconds
    own = resource.getrusage(resource.RUSAGE_SELF)
    usage["load generator"] = own.ru_utime + own.ru_stime
    usage["machine"], usage["machine total"] = machine_cpu()
    return usage


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, lines[0].startswith("HTTP/1.0")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value.strip().lower() == "close"
    if length:
        await reader.readexactly(length)
    return status, close


async def drive(port: int, make_request, clients: int, warmup: float, seconds: float, phase: Phase,
                server: Server | None, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + warmup, start + warmup + seconds
    marks = {}

    async def mark_window():
        await asyncio.sleep(warmup)
        marks["start"] = cpu_snapshot(server)
        await asyncio.sleep(seconds)
        marks["end"] = cpu_snapshot(server)

    async def client(number: int):
        reader = writer = None
        await asyncio.sleep(number * 0.002)  # a ramp of a few ms, not a thundering herd
        while loop.time() < window_end:
            request = make_request()
            began = loop.time()
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
                    phase.connections += 1
                writer.write(request)
                status, close = await asyncio.wait_for(read_response(reader), timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
                status, close = type(error).__name__, True
            finished = loop.time()
            phase.all_status[status] = phase.all_status.get(status, 0) + 1
            if window_start <= finished < window_end:  # completed inside the measured window
                phase.window_status[status] = phase.window_status.get(status, 0) + 1
                if isinstance(status, int) and status < 400:
                    phase.window_latencies.append(finished - began)
            if close and writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
                reader = writer = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    await asyncio.gather(mark_window(), *(client(n) for n in range(clients)))
    phase.seconds = seconds
    phase.cpu = {key: marks["end"][key] - marks["start"][key] for key in marks["start"]}


async def drive_at_rate(port: int, make_request, rate: float, warmup: float, seconds: float, phase: Phase,
                        server: Server | None, timeout: float) -> None:
    """Open-loop load: a request every 1/rate seconds whatever the server does, each on its own connection, its
    latency counted from the moment it was due (a slow answer delays no later request, so none is hidden)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    window_start, window_end = start + warmup, start + warmup + seconds
    marks, tasks = {}, []

    async def one(due: float):
        status = None
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
            phase.connections += 1
            writer.write(make_request())
            status, _ = await asyncio.wait_for(read_response(reader), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            status = type(error).__name__
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
        finished = loop.time()
        phase.all_status[status] = phase.all_status.get(status, 0) + 1
        if window_start <= due < window_end:  # due inside the measured window
            phase.window_status[status] = phase.window_status.get(status, 0) + 1
            if isinstance(status, int) and status < 400:
                phase.window_latencies.append(finished - due)

    async def mark_window():
        await asyncio.sleep(max(window_start - loop.time(), 0))
        marks["start"] = cpu_snapshot(server)
        await asyncio.sleep(max(window_end - loop.time(), 0))
        marks["end"] = cpu_snapshot(server)

    marking = asyncio.ensure_future(mark_window())
    for number in range(int(rate * (warmup + seconds))):
        due = start + number / rate
        await asyncio.sleep(max(due - loop.time(), 0))
        tasks.append(asyncio.ensure_future(one(due)))
    await asyncio.gather(marking, *tasks)
    phase.seconds = seconds
    phase.cpu = {key: marks["end"][key] - marks["start"][key] for key in marks["start"]}


def run_phase(name: str, port: int, make_request, args, server: Server | None, rate: float | None = None) -> Phase:
    phase = Phase(name)
    busy0, total0 = machine_cpu()
    time.sleep(1)
    busy1, total1 = machine_cpu()
    phase.busy_before = (busy1 - busy0) / max(total1 - total0, 1e-9)
    stopped = []

    async def main():
        # Inside the loop, SIGTERM and SIGHUP cancel the load (asyncio.run does the same for Ctrl-C).
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, lambda: (stopped.append(True), task.cancel()))
        if rate:
            await drive_at_rate(port, make_request, rate, args.warmup, args.seconds, phase, server, args.timeout)
        else:
            await drive(port, make_request, args.clients, args.warmup, args.seconds, phase, server, args.timeout)

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        if stopped:
            raise KeyboardInterrupt from None
        raise
    finally:
        install_stop_handlers()  # closing the loop reset them to the default
    return phase


# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (seconds); NaN when there are none."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary(phase: Phase, ok_status: int) -> dict:
    latencies = sorted(phase.window_latencies)
    ok = phase.count(ok_status)
    return {
        "rate": ok / phase.seconds,
        "ok": ok,
        "p50": percentile(latencies, 0.50) * 1000,
        "p90": percentile(latencies, 0.90) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "max": (latencies[-1] * 1000) if latencies else float("nan"),
        "errors": {str(k): v for k, v in sorted(phase.window_status.items(), key=str) if k != ok_status},
    }


def print_phase(phase: Phase, ok_status: int, label: str) -> dict:
    figures = summary(phase, ok_status)
    done = sum(phase.window_status.values())
    print(f"  {label}: {figures['rate']:.0f}/s ({figures['ok']} in {phase.seconds:.0f} s)")
    print(f"  latency ms: p50 {figures['p50']:.1f}  p90 {figures['p90']:.1f}  p99 {figures['p99']:.1f}"
          f"  max {figures['max']:.1f}")
    errors = ", ".join(f"{status}: {count}" for status, count in figures["errors"].items()) or "none"
    print(f"  errors by status: {errors}")
    print(f"  connections opened: {phase.connections} (whole run, warm-up included)")
    cpu = phase.cpu
    cores = cpu["machine total"] / phase.seconds
    other = max(cpu["machine"] - cpu["server"] - cpu["postgres"] - cpu["load generator"], 0.0)
    parts = [("gunicorn", cpu["server"]), ("postgres", cpu["postgres"]), ("load generator", cpu["load generator"]),
             ("other", other)]
    print("  CPU in the window, cores of " + f"{cores:.0f}: "
          + ", ".join(f"{label} {seconds / phase.seconds:.2f}" for label, seconds in parts)
          + f"; idle {(cpu['machine total'] - cpu['machine']) / phase.seconds:.2f}")
    if done:
        print("  CPU per request, ms: "
              + ", ".join(f"{label} {seconds / done * 1000:.2f}" for label, seconds in parts[:3] if seconds))
    if phase.busy_before > 0.15:
        print(f"  WARNING: the machine was {phase.busy_before:.0%} busy in the second before this phase: "
              "something else is running, the figures are lower than this machine can do")
    return figures


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def interrupt(signum, frame):
    raise KeyboardInterrupt


def install_stop_handlers() -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C: through main's finally, which stops the servers."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even where it was ignored (a background job)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--database-url", help="postgresql://… (created if missing, then migrated); "
                        "default: a new SQLite file in a temporary directory")
    parser.add_argument("--seconds", type=float, default=20, help="measured duration of each phase")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: one per CPU on SQLite, one more on PostgreSQL, the best "
                             "measured: a worker waiting on the database server's round trips leaves a core idle)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
    parser.add_argument("--keepalive", type=int, help="gunicorn --keep-alive seconds (gthread); None: gunicorn's own default")
    parser.add_argument("--timeout", type=float, default=30, help="client timeout per request, seconds")
    parser.add_argument("--fixed-rate", type=float, default=300,
                        help="then offer submissions at this fixed rate per second and report their latency (0: skip)")
    parser.add_argument("--skip-bare", action="store_true", help="do not run the bare Flask comparison")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (SQLite file, logs)")
    args = parser.parse_args(argv)

    install_stop_handlers()

    workdir = Path(tempfile.mkdtemp(prefix="imppulse-bench-"))
    servers: list[Server] = []
    try:
        if args.database_url:
            database_url = args.database_url
            if sqlalchemy_url(database_url).startswith("postgresql"):
                ensure_postgresql_database(database_url)
        else:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        if args.workers is None:
            args.workers = os.cpu_count() + (1 if sqlalchemy_url(database_url).startswith("postgresql") else 0)
        print(f"IMPPULSE Survey submissions benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
        print(f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
              f"{platform.platform()}, Python {platform.python_version()}")
        print(f"database: {describe_url(database_url)}")
        migrate(database_url)
        app = make_app(database_url)
        slug = create_campaign(app, waves=["bench"])
        before_total = total_responses(app)
        before = stored_counts(app, slug)[0]
        print(f"campaign: {slug} (responses already in the database: {before_total})")

        env = server_environment(database_url)
        app_port = free_port()
        real = Server("app", gunicorn_command("app:app", app_port, args), app_port, workdir / "app-gunicorn.log")
        servers.append(real)
        real.start(env, ROOT)
        bare = None
        if not args.skip_bare:
            bare_port = free_port()
            bare = Server("bare", gunicorn_command("bare_app:app", bare_port, args), bare_port,
                          workdir / "bare-gunicorn.log")
            servers.append(bare)
            bare.start(env, BENCH)
        settings = " ".join(real.command[real.command.index("--workers"):])
        print(f"gunicorn: {settings}")

        questionnaire_path = f"/api/v1/campaigns/{slug}/questionnaire?lang=fr"
        real.wait_ready(lambda: http_request(real.port, "GET", questionnaire_path))
        status, payload = http_request(real.port, "GET", questionnaire_path)
        if status != 200:
            raise SystemExit(f"GET {questionnaire_path} answered {status}: {payload[:500]!r}")
        questionnaire = json.loads(payload)
        bodies, counted = submission_bodies(questionnaire, 64, seed=2026)
        print(f"submissions: {counted}+ answer keys that count (of {len(json.loads(bodies[0])['answers'])} sent), "
              f"{len(bodies[0])} bytes of JSON, {len(bodies)} answer patterns, a new uuid4 each")
        if counted < 30:
            raise SystemExit(f"only {counted} answers count; the benchmark needs at least 30")
        responses_path = f"/api/v1/campaigns/{slug}/responses"
        make_request = RequestMaker(responses_path, bodies)
        first = json.loads(bodies[0])
        first["submission_id"] = str(uuid.uuid4())
        status, payload = http_request(real.port, "POST", responses_path, json.dumps(first).encode())
        if status != 201:
            raise SystemExit(f"the first submission was refused ({status}): {payload[:1000]!r}")
        preflight = 1
        if bare:
            bare.wait_ready(lambda: http_request(bare.port, "POST", responses_path, bodies[0]))

        print(f"load: {args.clients} concurrent clients (one asyncio loop, this process), {args.warmup:g} s "
              f"warm-up then {args.seconds:g} s measured, per phase")
        print()
        print(f"Submissions (POST {responses_path}):")
        phase = run_phase("app", real.port, make_request, args, real)
        figures = print_phase(phase, 201, "accepted (201) per second")
        accepted = phase.all_status.get(201, 0) + preflight
        unknown = sum(v for k, v in phase.all_status.items() if not isinstance(k, int))
        fixed_figures = fixed_phase = None
        if args.fixed_rate:
            print()
            print(f"Submissions offered at a fixed {args.fixed_rate:g} per second (open loop, latency from when due):")
            fixed_phase = run_phase("fixed", real.port, make_request, args, real, rate=args.fixed_rate)
            fixed_figures = print_phase(fixed_phase, 201, "accepted (201) per second")
            accepted += fixed_phase.all_status.get(201, 0)
        stored, answers, texts = stored_counts(app, slug)
        stored -= before
        print(f"  stored: {stored} responses ({answers} coded answers, {texts} free texts); accepted over the "
              f"whole run: {accepted}; stored == accepted: {'yes' if stored == accepted else 'NO'}")
        if unknown:
            print(f"  ({unknown} requests ended without a status: timeouts or connection errors)")
        if any(not isinstance(k, int) or k >= 500 for p in (phase, fixed_phase) if p for k in p.all_status):
            print("  the app's gunicorn log ends with:\n" + real.tail(15))

        bare_figures = bare_phase = None
        if bare:
            print()
            print("Bare Flask endpoint (bench/bare_app.py, same body, same gunicorn settings):")
            bare_phase = run_phase("bare", bare.port, RequestMaker(responses_path, bodies), args, bare)
            bare_figures = print_phase(bare_phase, 200, "requests (200) per second")
        print()
        print("Summary")
        print(f"  database {sqlalchemy_url(database_url).split(':', 1)[0]}, gunicorn {settings}, "
              f"{args.clients} clients, nproc {len(os.sched_getaffinity(0))}")
        print(f"  submissions/s {figures['rate']:.0f}, p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
              f"stored == accepted: {'yes' if stored == accepted else 'NO'}")
        if bare_figures:
            print(f"  bare requests/s {bare_figures['rate']:.0f}, p50 {bare_figures['p50']:.1f} ms, "
                  f"p99 {bare_figures['p99']:.1f} ms; submissions are {figures['rate'] / bare_figures['rate']:.1%} "
                  f"of the bare rate (bare is {bare_figures['rate'] / max(figures['rate'], 1e-9):.1f}x)")
        if fixed_figures:
            print(f"  at a fixed {args.fixed_rate:g}/s: {fixed_figures['rate']:.0f}/s accepted, "
                  f"p50 {fixed_figures['p50']:.1f} ms, p99 {fixed_figures['p99']:.1f} ms")
        latency = fixed_figures or figures
        met = figures["rate"] >= TARGET_RATE and latency["p99"] < TARGET_P99_MS and stored == accepted \
            and not figures["errors"] and not latency["errors"]
        where = f"at a fixed {args.fixed_rate:g}/s" if fixed_figures else f"at {args.clients} clients"
        print(f"  target (≥ {TARGET_RATE}/s at {args.clients} clients, p99 < {TARGET_P99_MS} ms {where}, "
              f"nothing lost): {'met' if met else 'NOT met'}")
        if any(p.busy_before > 0.15 for p in (phase, bare_phase) if p):
            print("  (other work was running on the machine during this run: see the warnings above)")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the servers", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a release's microdata at 1,000,000 responses, as CSV, XLSX, SPSS and Stata files.

    .venv/bin/python bench/exports.py                    # SQLite file in a temporary directory
    .venv/bin/python bench/exports.py --database-url postgresql://postgres@127.0.0.1:55432/imppulse_bench_exports

It migrates a database, bulk-loads one wave of the standard resident questionnaire (bench/indicators.py's loader,
without the summaries, which exports do not read), closes it and records a release. Each step then runs in a
process of its own, so that its peak memory (``ru_maxrss``) is its own:

- ``build``: the microdata set, pivoted from the answers in the database, coarsened and stored once;
- ``csv``: the download as the server streams it (``writers.csv_file_chunks`` over ``microdata.stored_lines``:
  the lines the build wrote, end to end), written to /dev/null;
- ``bare``: a bare ``csv.writer`` over the same rows, read by the same query and split into cells by
  ``csv.reader`` (C both ways, no safety, no byte-order mark), written to /dev/null;
- ``xlsx``: the XLSX download (xlsxwriter in constant-memory mode), written and streamed to /dev/null;
- ``sav`` and ``dta``: the SPSS and Stata files, built from one data frame with compact types.

Targets (issue 11): CSV at least 100,000 rows per second, at least 0.5 × the bare writer, peak RSS under 200 MB.
It prints medians of the timed runs and asserts nothing about time. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, create_campaign, describe_url, ensure_postgresql_database, make_app, migrate, sqlalchemy_url
from indicators import bulk_load

TARGET_ROWS_PER_S, TARGET_RATIO, TARGET_RSS_MB = 100_000, 0.5, 200
STEPS = ("csv", "bare", "xlsx", "sav", "dta")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class RssSampler(threading.Thread):
    """The most memory the step itself takes: resident size sampled every 5 ms, less what it was before."""

    def __init__(self):
        super().__init__(daemon=True)
        self.before = rss_mb()
        self.highest = self.before
        self.running = True

    def run(self):
        while self.running:
            self.highest = max(self.highest, rss_mb())
            time.sleep(0.005)

    def stop(self) -> float:
        self.running = False
        self.join()
        return max(self.highest, rss_mb()) - self.before


def prepare(app, slug: str) -> int:
    """Close the wave and record its release (the cells are not needed to export microdata); its id."""
    from sqlalchemy import select

    from imppulse_survey.campaigns.models import Campaign
    from imppulse_survey.campaigns.services import close_wave
    from imppulse_survey.core.models import utcnow
    from imppulse_survey.extensions import db
    from imppulse_survey.releases.models import Release

    with app.app_context():
        campaign = db.session.scalar(select(Campaign).filter_by(slug=slug))
        close_wave(campaign)
        made = Release(campaign_id=campaign.id, wave_id=campaign.waves[0].id, number=1, made_dt=utcnow(),
                       reason="benchmark", threshold=campaign.disclosure_threshold)
        db.session.add(made)
        db.session.commit()
        return made.id


def run_step(step: str, database_url: str, release_id: int) -> dict:
    """One step in this process; its figures, with the process's peak RSS."""
    from imppulse_survey.extensions import db
    from imppulse_survey.releases.models import Release

    app = make_app(database_url)
    with app.app_context():
        figures = _step(step, db.session.get(Release, release_id))
    return {**figures, "rss": peak_mb()}


def _step(step: str, release) -> dict:
    from sqlalchemy import select

    from imppulse_survey.exports.labelled import cached_path
    from imppulse_survey.exports.microdata import microdata_set, stored_lines, stored_rows
    from imppulse_survey.exports.models import MicrodataSet
    from imppulse_survey.exports.writers import csv_file_chunks, file_chunks, xlsx_file
    from imppulse_survey.extensions import db

    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    if step == "build":
        made = microdata_set(release)
        return {"seconds": time.perf_counter() - started, "rows": made.row_count, "grew": sampler.stop(),
                "variables": len(made.variables), "levels": made.levels}
    made = db.session.scalar(select(MicrodataSet).where(MicrodataSet.release_id == release.id))
    header = [entry["name"] for entry in made.variables]
    if step in ("sav", "dta"):
        path = cached_path(made, "fr", step)
        size = path.stat().st_size
        path.unlink()
        return {"seconds": time.perf_counter() - started, "rows": made.row_count, "grew": sampler.stop(),
                "mb": size / 1e6}
    rows = made.row_count
    with open(os.devnull, "wb") as sink:
        if step == "csv":
            sink.writelines(csv_file_chunks(header, stored_lines(made.id)))
        elif step == "xlsx":
            sink.writelines(file_chunks(xlsx_file("microdata", header, stored_rows(made), texts=[])))
        else:  # bare
            text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(header)
            rows = 0
            for lines in stored_lines(made.id):
                writer.writerows(csv.reader(lines))
                rows += len(lines)
            text.flush()
            text.detach()
    return {"seconds": time.perf_counter() - started, "rows": rows, "grew": sampler.stop()}


def in_subprocess(step: str, database_url: str, release_id: int) -> dict:
    result = subprocess.run([sys.executable, __file__, "--step", step, "--database-url", database_url,
                             "--release-id", str(release_id)], cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"step {step} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a new SQLite file in a temporary directory)")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the CSV and the bare writer")
    parser.add_argument("--skip", default="", help="steps to leave out, comma-separated (e.g. xlsx)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--release-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(run_step(args.step, args.database_url, args.release_id)))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="imppulse-bench-exports-"))
    try:
        database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
        if sqlalchemy_url(database_url).startswith("postgresql"):
            ensure_postgresql_database(database_url)
        print(f"IMPPULSE Survey exports benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
              f"Python {platform.python_version()}, database {describe_url(database_url)}")
        migrate(database_url)
        app = make_app(database_url)
        slug = create_campaign(app, waves=["baseline"])
        loaded = bulk_load(app, slug, args.responses, summaries=False)
        print(f"loaded {args.responses:,} responses and {loaded['answers']:,} answers in {loaded['rows']:.1f} s; "
              f"indexes {loaded['indexes']:.1f} s")
        release_id = prepare(app, slug)
        built = in_subprocess("build", database_url, release_id)
        print(f"microdata set built once: {built['rows']:,} rows × {built['variables']} variables in "
              f"{built['seconds']:.1f} s, peak RSS {built['rss']:.0f} MB (+{built['grew']:.0f} MB in the step); "
              f"coarsening {built['levels']}")
        skipped = {step.strip() for step in args.skip.split(",") if step.strip()}
        figures: dict[str, list[dict]] = {}
        for _ in range(args.repeat):
            for step in ("csv", "bare"):
                if step not in skipped:
                    figures.setdefault(step, []).append(in_subprocess(step, database_url, release_id))
        for step in ("xlsx", "sav", "dta"):
            if step not in skipped:
                figures[step] = [in_subprocess(step, database_url, release_id)]
        print(f"\n{'step':<6} {'median s':>9} {'rows/s':>10} {'peak RSS MB':>12} {'step grew MB':>13}   (runs)")
        for step, runs in figures.items():
            seconds = statistics.median(run["seconds"] for run in runs)
            rss = max(run["rss"] for run in runs)
            grew = max(run["grew"] for run in runs)
            extra = f"   file {runs[0]['mb']:.0f} MB" if "mb" in runs[0] else ""
            print(f"{step:<6} {seconds:9.2f} {runs[0]['rows'] / seconds:10,.0f} {rss:12.0f} {grew:13.0f}"
                  f"   ({len(runs)}){extra}")
        if "csv" in figures and "bare" in figures:
            csv_s = statistics.median(run["seconds"] for run in figures["csv"])
            bare_s = statistics.median(run["seconds"] for run in figures["bare"])
            rate = figures["csv"][0]["rows"] / csv_s
            rss = max(run["rss"] for run in figures["csv"])
            print(f"\nCSV download / bare csv.writer (throughput)   {bare_s / csv_s:.2f}×")
            print(f"target ≥ {TARGET_ROWS_PER_S:,} rows/s   {'met' if rate >= TARGET_ROWS_PER_S else 'not met'}"
                  f" ({rate:,.0f})")
            print(f"target ≥ {TARGET_RATIO} × bare       {'met' if bare_s / csv_s >= TARGET_RATIO else 'not met'}")
            print(f"target RSS < {TARGET_RSS_MB} MB        {'met' if rss < TARGET_RSS_MB else 'not met'} ({rss:.0f} MB)")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

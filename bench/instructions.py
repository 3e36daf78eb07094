"""Benchmark: machine instructions per API submission, counted by valgrind's callgrind.

    .venv/bin/python bench/instructions.py [--submissions 150] [--tree PATH]

Wall-clock figures on a shared machine vary by a fifth from run to run; instructions do not depend on what else
the machine is doing. This runs the app in-process (the Flask test client, a new SQLite file), once with no
measured submission and once with ``--submissions``, each under callgrind after the same warm-up, and prints the
difference per submission. ``--tree`` points at another checkout (``git worktree add /tmp/old REV``) to compare
two versions with the same workload. Needs Debian's valgrind; takes a few minutes.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WARM_UP = 30


def workload(tree: Path, count: int, database_url: str) -> None:
    """The measured process: the app of ``tree``, a campaign, ``WARM_UP`` then ``count`` submissions."""
    sys.path[:0] = [str(tree), str(BENCH)]
    # the measured tree's package, imported before bench/submissions.py puts this checkout first on the path
    importlib.import_module("imppulse_survey")
    import common
    import submissions

    app = common.make_app(database_url)
    slug = common.create_campaign(app, waves=["bench"])
    client, base = app.test_client(), f"http://{common.HOST}"
    questionnaire = client.get(f"/api/v1/campaigns/{slug}/questionnaire?lang=fr", base_url=base).get_json()
    bodies, _ = submissions.submission_bodies(questionnaire, 64, seed=1)
    for number in range(WARM_UP + count):
        body = bodies[number % len(bodies)].replace(submissions.PLACEHOLDER_ID.encode(), str(uuid.uuid4()).encode())
        response = client.post(f"/api/v1/campaigns/{slug}/responses", data=body, content_type="application/json",
                               base_url=base)
        if response.status_code != 201:
            raise SystemExit(f"submission refused ({response.status_code}): {response.get_data()[:300]!r}")


def counted(tree: Path, count: int, database_url: str, workdir: Path) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir / f'callgrind-{count}.out'}",
         sys.executable, __file__, "--workload", str(count), "--tree", str(tree), "--database-url", database_url],
        cwd=tree, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SystemExit(f"the run under callgrind failed:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=150)
    parser.add_argument("--tree", type=Path, default=BENCH.parent, help="the checkout whose app is measured")
    parser.add_argument("--workload", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload is not None:
        workload(args.tree.resolve(), args.workload, args.database_url)
        return 0
    sys.path.insert(0, str(BENCH))
    from common import server_environment

    tree = args.tree.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="imppulse-instructions-"))
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    # the tree's own migrations, so that another version gets the schema it expects
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=tree, check=True,
                   env=server_environment(database_url), capture_output=True)
    baseline, measured = (counted(tree, count, database_url, workdir) for count in (0, args.submissions))
    print(f"tree: {tree}")
    print(f"instructions: {baseline:,} with {WARM_UP} warm-up submissions only, {measured:,} with "
          f"{args.submissions} more")
    print(f"per API submission: {(measured - baseline) / args.submissions / 1e6:.2f} million instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())

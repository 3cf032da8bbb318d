"""Two checkouts' report pages, request by request, on one kept bench database (issue 16 §5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/a24_reports6_bench .venv/bin/python bench/reports_ab.py \
        /path/to/main-checkout /path/to/branch-checkout [--pairs 12]

On a shared machine separate runs of bench/reports.py differ by ×2 (others' load); here two processes, one
per checkout, answer the same signed-in request in turn (A B, B A, …), so both see the same load. Each page
gives, per checkout, the wall p50 and the CPU of a request (the process and its PostgreSQL backend,
``boardkit.backend_cpu``), and B's CPU as a ratio to A's. The database is the one bench/reports.py --keepdb
filled (``test_<name>`` of DATABASE_URL); it is only read.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PAGES = [
    ("engineer", 365),
    ("administrator", 365),
    ("administrator", 90),
    ("engineer", 30),
]
USERS = {"administrator": "bench-admin0", "engineer": "bench-engineer0"}


def serve() -> None:
    """The child: sign both users in, then answer "who url" lines with [wall ms, CPU ms, PostgreSQL ms]."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from admin24.models import User

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from boardkit import backend_cpu

    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    setup_test_environment()
    clients = {}
    for who, username in USERS.items():
        clients[who] = Client()
        clients[who].force_login(User.objects.get(username=username))
    database = backend_cpu()
    print("ready", flush=True)
    for line in sys.stdin:
        who, url = line.split()
        start, start_cpu, start_db = time.perf_counter(), time.process_time(), database()
        assert clients[who].get(url).status_code == 200, url
        db = database() - start_db
        print(
            json.dumps([(time.perf_counter() - start) * 1000, (time.process_time() - start_cpu + db) * 1000, db * 1000])
        )
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--pairs", type=int, default=12)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    env = dict(os.environ, DATABASE_URL=url[: url.rindex("/") + 1] + "test_" + url[url.rindex("/") + 1 :])
    children = {}
    for tag, checkout in (("A", args.a), ("B", args.b)):
        children[tag] = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            cwd=checkout,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert children[tag].stdout.readline().strip() == "ready"

    def ask(tag, who, page):
        children[tag].stdin.write(f"{who} {page}\n")
        children[tag].stdin.flush()
        return json.loads(children[tag].stdout.readline())

    today = datetime.date.today()
    print(f"A = {args.a}, B = {args.b}; {args.pairs} pairs a page; {os.getloadavg()[0]:.2f} load at the start")
    for who, days in PAGES:
        page = f"/servicedesk/reports/?period=custom&date_from={today - datetime.timedelta(days=days)}&date_to={today}"
        for tag in children:  # warm-up
            ask(tag, who, page)
        found = {tag: [] for tag in children}
        for index in range(args.pairs):
            for tag in ("A", "B") if index % 2 == 0 else ("B", "A"):
                found[tag].append(ask(tag, who, page))
        cpu = {tag: statistics.median(row[1] for row in rows) for tag, rows in found.items()}
        line = f"  desk report, {who:13} {days:3} days"
        for tag, rows in found.items():
            line += (
                f" | {tag}: wall p50 {statistics.median(row[0] for row in rows):6.1f} ms, CPU {cpu[tag]:6.1f} "
                f"(PostgreSQL {statistics.median(row[2] for row in rows):5.1f})"
            )
        print(f"{line} | B/A CPU ×{cpu['B'] / cpu['A']:.2f}", flush=True)
    print(f"{os.getloadavg()[0]:.2f} load at the end")


if __name__ == "__main__":
    serve() if sys.argv[1:] == ["--serve"] else main()

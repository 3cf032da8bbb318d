"""Where one public form submission spends its time: cProfile over warm in-process requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/intake_profile.py [--requests 300] [--top 40] [--database NAME]

Uses the settings of bench/intake.py on a throw-away database (``bench_intake_profile``) and
posts through Django's test client (no gunicorn, no network). It first times the floor view and
the intake in turns, without the profiler: wall time per request and the CPU time of this
process (Python: Django, the form, the drivers), so what is left of the wall time is waiting
for PostgreSQL and Redis. Then it profiles the intake and prints the functions that take the
time, by cumulative and by own time.
"""

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import _old_stamp, admin_sql, database_url, prepare  # noqa: E402

PROFILE_DB = "bench_intake_profile"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--database", default=PROFILE_DB, help="the throw-away database's name (two runs at once)")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(base, args.database),
        "DJANGO_SETTINGS_MODULE": "bench.intake_settings",
        "VAR_DIR": tempfile.mkdtemp(prefix="bench-intake-profile-"),
        "DEBUG": "false",
        "SECRET_KEY": "bench-intake-profile-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    admin_sql(base, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    admin_sql(base, f"CREATE DATABASE {args.database}")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        import django

        django.setup()
        from urllib.parse import parse_qsl, urlencode

        from django.test import Client

        path, prefix = prepare()
        data = dict(parse_qsl(prefix))
        data["rendered"] = _old_stamp()
        client = Client()

        def post(n: int) -> None:
            # URL-encoded like the browser's form and the load generator, not the test client's multipart.
            body = urlencode({**data, "email": f"client{n % 50}@bench.example", "name": "Client"})
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
            if response.status_code != 302:
                raise SystemExit(f"answered {response.status_code}")

        def floor(n: int) -> None:
            body = urlencode(
                {
                    "subject": "Printer",
                    "description": "Does not print",
                    "email": f"c{n % 50}@bench.example",
                    "name": "C",
                }
            )
            response = client.post("/bench/floor/", body, content_type="application/x-www-form-urlencoded")
            if response.status_code != 201:
                raise SystemExit(f"the floor answered {response.status_code}")

        for n in range(50):  # warm: templates, calendar, connections, the 50 clients' tickets
            post(n)
            floor(n)
        # Without the profiler: the wall time and the CPU time of each, in turns: this process's
        # (Python: Django, the form, the drivers), its PostgreSQL backend's and Redis's own.
        # Under saturation the rate is the machine's CPU over the sum, not over the wall time.
        for _round in range(3):
            for label, view in (("floor ", floor), ("intake", post)):
                wall, cpu, pg, redis_us = time.perf_counter(), time.process_time(), backend_cpu(), redis_usec()
                for n in range(args.requests):
                    view(n)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                pg, redis_us = backend_cpu() - pg, redis_usec() - redis_us
                print(
                    f"{label}: {wall / args.requests * 1000:.2f} ms per request, CPU: Python in this process "
                    f"{cpu / args.requests * 1000:.2f} ms, its PostgreSQL backend {pg / args.requests * 1000:.2f} ms, "
                    f"Redis {redis_us / args.requests / 1000:.2f} ms"
                )
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for n in range(args.requests):
            post(n)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"{args.requests} requests, {elapsed / args.requests * 1000:.2f} ms each under the profiler")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(base, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")


def backend_cpu() -> float:
    """Seconds of CPU the default connection's PostgreSQL backend has used (a server on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # the server is elsewhere: only the wall time tells
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_usec() -> int:
    """Microseconds Redis spent running commands (its command stats; other clients' count too)."""
    from django.core.cache import cache

    stats = cache._cache.get_client().info("commandstats")
    return sum(row["usec"] for row in stats.values())


if __name__ == "__main__":
    main()

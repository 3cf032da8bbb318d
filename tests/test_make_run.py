"""`make run PORT=…` seeds the demo for the address it then serves (issue 13: links to :8000)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def planned(target: str, *args: str) -> list[str]:
    """The commands `make -n` would run (nothing is run)."""
    out = subprocess.run(["make", "-n", target, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


@pytest.mark.parametrize("command", ["seed_demo", "migrate", "setup_periodic_tasks"])
def test_setup_runs_with_the_site_url_of_the_port_given(command):
    (line,) = [line for line in planned("setup", "PORT=8123") if f"manage.py {command}" in line]
    assert "SITE_URL=http://127.0.0.1:8123" in line


def test_run_serves_the_port_it_seeded_for():
    (line,) = [line for line in planned("run", "PORT=8123", "HOST=0.0.0.0") if "scripts/run_all.py" in line]
    assert "SITE_URL=http://0.0.0.0:8123" in line and "PORT=8123" in line and "HOST=0.0.0.0" in line
    seed = next(line for line in planned("run", "PORT=8123", "HOST=0.0.0.0") if "seed_demo" in line)
    assert "SITE_URL=http://0.0.0.0:8123" in seed


def test_a_given_site_url_wins():
    (line,) = [line for line in planned("setup", "SITE_URL=https://demo.example") if "seed_demo" in line]
    assert "SITE_URL=https://demo.example" in line

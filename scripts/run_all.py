"""Run the web server, a Celery worker, Celery beat and the Telegram bot together; Ctrl-C stops them all.

The bot (`manage.py runbot`) stays idle until a token is set on the settings page.
"""

import os
import signal
import subprocess
import sys
import time

PYTHON = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")

COMMANDS = {
    "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}"],
    "worker": [PYTHON, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2"],
    "beat": [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
    "bot": [PYTHON, "manage.py", "runbot"],
}


def main() -> int:
    processes = {name: subprocess.Popen(cmd) for name, cmd in COMMANDS.items()}  # noqa: S603
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in processes.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the others", file=sys.stderr)
                exit_code = proc.returncode or 1
                stopping = True
        time.sleep(0.5)
    for proc in processes.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

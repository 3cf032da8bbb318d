"""Run the web server, a Celery worker, Celery beat and the Telegram bot together; Ctrl-C stops them all.

The bot (`manage.py runbot`) stays idle until a token is set on the settings page. A child that
dies (a worker that lost its broker, a crash) is started again after a pause that doubles with
each quick death (1 s, 2 s, 4 s … at most 30 s) and starts over once the child has run for a
minute; each death and restart is logged on stderr.
"""

import os
import signal
import subprocess
import sys
import threading
import time

PYTHON = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")

COMMANDS = {
    "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}"],
    # One worker for both queues in development; production runs one per queue (docker-compose.yml).
    "worker": [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        "celery,deliveries",
        "--loglevel=INFO",
        "--concurrency=2",
    ],
    "beat": [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
    "bot": [PYTHON, "manage.py", "runbot"],
}

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
HEALTHY_AFTER = 60.0  # a child that ran this long starts over from the first pause


def log(message: str) -> None:
    print(f"run_all: {message}", file=sys.stderr, flush=True)


def supervise(
    commands: dict[str, list[str]],
    stop: threading.Event,
    *,
    first_pause: float = FIRST_PAUSE,
    longest_pause: float = LONGEST_PAUSE,
    healthy_after: float = HEALTHY_AFTER,
) -> None:
    """Keep every command running until ``stop`` is set, then stop them all."""
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603
    started = dict.fromkeys(commands, time.monotonic())
    pauses = dict.fromkeys(commands, first_pause)
    due: dict[str, float] = {}  # a dead child's restart time
    try:
        while not stop.is_set():
            now = time.monotonic()
            for name, proc in processes.items():
                if name in due:
                    if now >= due[name]:
                        del due[name]
                        log(f"starting {name} again")
                        processes[name] = subprocess.Popen(commands[name])  # noqa: S603
                        started[name] = now
                    continue
                if proc.poll() is None:
                    continue
                if now - started[name] >= healthy_after:
                    pauses[name] = first_pause
                pause = pauses[name]
                log(f"{name} exited with {proc.returncode}; restarting it in {pause:g} s")
                due[name] = now + pause
                pauses[name] = min(pause * 2, longest_pause)
            stop.wait(0.2)
    finally:
        running = [proc for proc in processes.values() if proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    supervise(COMMANDS, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())

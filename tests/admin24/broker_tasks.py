"""Tasks for the broker-loss test's worker (loaded with ``--include``): each appends its token to a file."""

import time

from config.celery import app


@app.task(name="tests.broker_loss.record")
def record(token: str, path: str, seconds: float = 0) -> None:
    time.sleep(seconds)
    with open(path, "a") as out:
        out.write(token + "\n")

"""Issue 12 §2: a real worker outlives its Redis going away and coming back; every task runs once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery

from tests.servers import RedisServer, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_worker_survives_redis_stopping_and_starting_and_runs_each_task_once(tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    done = tmp_path / "done.txt"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": redis.url(),
        "CELERY_BROKER_URL": redis.url(),
        "CELERY_RESULT_BACKEND": "",
        "VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    # Prefork, as deployed: the crash came from the pool's in-flight messages being restored.
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "broker-loss",
            "--concurrency=2",
            "--include",
            "tests.admin24.broker_tasks",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sender = Celery(broker=redis.url(), set_as_current=False)  # shared tasks keep using the project app

    def send(token, seconds=0):
        sender.send_task("tests.broker_loss.record", args=[token, str(done), seconds], queue="broker-loss")

    def ran() -> list[str]:
        return done.read_text().split() if done.exists() else []

    try:
        send("before")
        assert wait_for(lambda: "before" in ran(), timeout=60), (tmp_path / "worker.log").read_text()[-3000:]
        send("in-flight", seconds=3)  # still running when Redis goes away
        wait_for(lambda: False, timeout=1.5)  # a pool process has taken it
        redis.stop()
        wait_for(lambda: "in-flight" in ran(), timeout=10)
        redis.start()
        send("after")
        assert wait_for(lambda: "after" in ran(), timeout=60), (tmp_path / "worker.log").read_text()[-3000:]
        wait_for(lambda: False, timeout=3)  # time for a duplicate to show
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        redis.stop()
    output = (tmp_path / "worker.log").read_text()
    assert "Unrecoverable error" not in output, output[-3000:]
    assert sorted(ran()) == ["after", "before", "in-flight"]

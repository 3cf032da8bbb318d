"""`make run`'s runner starts a child again when it dies, after a growing pause, and says so."""

import importlib.util
import sys
import threading
from pathlib import Path

from tests.servers import wait_for

ROOT = Path(__file__).resolve().parent.parent


def load_runner():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "scripts" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_child_that_dies_is_started_again_with_a_growing_pause_and_logged(tmp_path, capfd):
    runner = load_runner()
    starts = tmp_path / "starts.txt"
    dies = [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"]
    stays = [sys.executable, "-c", "import time; time.sleep(60)"]
    stop = threading.Event()
    thread = threading.Thread(
        target=runner.supervise, args=({"worker": dies, "web": stays}, stop), kwargs={"first_pause": 0.2}
    )
    thread.start()
    try:
        assert wait_for(lambda: starts.exists() and len(starts.read_text()) >= 3, timeout=20)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    log = capfd.readouterr().err
    assert "worker exited with 3; restarting it in 0.2 s" in log
    assert "worker exited with 3; restarting it in 0.4 s" in log
    assert "starting worker again" in log
    assert "web exited" not in log

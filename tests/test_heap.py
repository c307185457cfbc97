"""The app server's heap is kept out of the cycle collector's way (config/heap.py)."""

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.signals import request_finished

from config import heap

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_server_loads_with_its_start_up_frozen():
    # What config/wsgi.py leaves behind: start-up's objects frozen, so a full collection
    # during a request walks only what requests have allocated since.
    code = (
        "import gc, json, config.wsgi; "
        "print(json.dumps([gc.get_freeze_count(), len(gc.get_objects()), gc.get_threshold()]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, walked, thresholds = json.loads(result.stdout.strip().splitlines()[-1])
    assert frozen > 50_000
    assert walked < frozen / 10
    # The oldest generation is collected rarely; the young ones as CPython would.
    assert thresholds == [gc.get_threshold()[0], gc.get_threshold()[1], heap.FULL_EVERY]


def test_a_warm_process_settles_once_after_its_first_requests(client, db):
    gc.unfreeze()
    settler = heap.SettleWhenWarm(after=3)
    request_finished.connect(settler, weak=False)
    try:
        for _ in range(2):
            assert client.get("/").status_code == 200
        assert gc.get_freeze_count() == 0
        assert client.get("/").status_code == 200
        settled = gc.get_freeze_count()
        assert settled > 50_000
        assert settler.served == 3
        for _ in range(3):
            assert client.get("/").status_code == 200
        # No second settle (frozen objects freed by their last reference leave the count).
        assert gc.get_freeze_count() <= settled
        # It let go of the signal when it settled: nothing left to disconnect.
        assert settler.served == 3
        assert not request_finished.disconnect(settler)
    finally:
        request_finished.disconnect(settler)
        gc.unfreeze()

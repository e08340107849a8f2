"""The web server's settings (gunicorn.conf.py, config/wsgi.py): what start-up loads is frozen
out of the garbage collector's scans, and a request's garbage is collected after its response,
not during the next request."""

import gc
import os
import runpy
import subprocess
import sys
import weakref
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Node:
    """A reference cycle: only the cyclic collector frees it."""

    def __init__(self):
        self.me = self


def test_post_request_frees_the_cycles_a_request_left():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    was_enabled = gc.isenabled()
    gc.disable()  # the automatic collector must not be the one that frees it
    try:
        for _ in range(conf["MIDDLE_EVERY"] + 1):  # young and middle collections alike
            garbage = Node()
            gone = weakref.ref(garbage)
            del garbage
            assert gone() is not None  # a cycle survives its last reference
            conf["post_request"](None, None, {}, None)
            assert gone() is None
    finally:
        if was_enabled:
            gc.enable()


def test_the_wsgi_module_loads_every_view_before_freezing():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = (
        "import gc, sys, config.wsgi; "
        "print(gc.get_freeze_count() > 50_000, 'pos.views.tables' in sys.modules, "
        "gc.get_threshold()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "20000"]

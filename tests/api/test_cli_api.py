"""`guotu user add|list` and `guotu serve`, run as administrators run them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from guotu.store.gpkg import GpkgStore


def guotu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guotu.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_user_add_and_list(demo_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "county.gpkg"
    shutil.copy(demo_file, db)
    r = guotu("user", "add", "zhang", "--role", "planner", "--password", "pass-word-1", "--display-name", "张工",
              "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "zhang" in r.stdout and "planner" in r.stdout
    r = guotu("user", "add", "wang", "--role", "viewer", "--role", "administrator", "--db", str(db),
              env={"GUOTU_PASSWORD": "from-the-env-1"})
    assert r.returncode == 0, r.stderr
    r = guotu("user", "add", "li", "--role", "viewer", "--db", str(db), env={"GUOTU_PASSWORD": ""})
    assert r.returncode == 2 and "GUOTU_PASSWORD" in r.stderr and "Traceback" not in r.stderr
    r = guotu("user", "add", "zhang", "--role", "viewer", "--password", "pass-word-2", "--db", str(db))
    assert r.returncode == 2 and "已存在" in r.stderr
    assert guotu("user", "add", "zhang", "--role", "viewer", "--password", "pass-word-2", "--replace",
                 "--db", str(db)).returncode == 0
    r = guotu("user", "add", "zhao", "--role", "viewer", "--password", "short", "--db", str(db))
    assert r.returncode == 2 and "密码太短" in r.stderr
    r = guotu("user", "list", "--db", str(db), "--json")
    users = {u["name"]: u for u in json.loads(r.stdout)}
    assert users["zhang"]["roles"] == ["viewer"] and users["wang"]["roles"] == ["viewer", "administrator"]
    assert users["zhang"]["display_name"] == "张工"
    store = GpkgStore(db)
    try:
        events = [(e.action, e.actor) for e in store.audit_events() if e.action in ("add_user", "update_user")]
    finally:
        store.close()
    assert ("add_user", "cli") in events and ("update_user", "cli") in events
    assert "zhang" in guotu("user", "list", "--db", str(db)).stdout


def test_serve(demo_file: Path, tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-m", "guotu.cli", "serve", "--db", str(demo_file), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/layers", timeout=5) as r:
                    layers = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert [x["name"] for x in layers][-1] == "sites"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ogc/collections/sites/items?limit=2", timeout=5) as r:
            assert json.loads(r.read())["numberReturned"] == 2
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"{port}" in out


def test_serve_without_a_database_says_so(tmp_path: Path) -> None:
    r = guotu("serve", env={"GUOTU_DB": ""})
    assert r.returncode == 2 and "GUOTU_DB" in r.stderr
    r = guotu("serve", "--db", str(tmp_path / "missing.gpkg"), "--port", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr

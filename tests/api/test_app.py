"""App assembly: the store from a location, the web page or its placeholder, settings from the environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from guotu.api import create_app
from guotu.api.settings import Settings

Expect = Callable[..., dict[str, str]]


def test_store_opened_from_a_location_and_closed_at_shutdown(demo_file: Path, tmp_path: Path) -> None:
    app = create_app(Settings(db="", static_dir=str(tmp_path)), store=str(demo_file))
    with TestClient(app) as c:
        assert len(c.get("/api/layers").json()) == 7
        ctx = app.state.guotu
        assert ctx.owns_store and ctx.store is not None
    assert ctx.store is None


def test_without_a_database_the_api_says_so(tmp_path: Path, expect_error: Expect) -> None:
    with TestClient(create_app(Settings(db="", static_dir=str(tmp_path)))) as c:
        err = expect_error(c.get("/api/layers"), 503, "api.no_store")
        assert "GUOTU_DB" in err["message"]


def test_placeholder_page_or_the_web_page(demo_file: Path, tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db="", static_dir=str(tmp_path / "none")), store=str(demo_file))) as c:
        r = c.get("/")
        assert r.status_code == 200 and "网页地图尚未安装" in r.text and 'lang="zh-CN"' in r.text
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>一张图</title>", encoding="utf-8")
    (tmp_path / "app.js").write_text("// app", encoding="utf-8")
    with TestClient(create_app(Settings(db="", static_dir=str(tmp_path)), store=str(demo_file))) as c:
        assert "一张图" in c.get("/").text and c.get("/app.js").text == "// app"
        assert c.get("/api/layers").status_code == 200  # the API wins over the static files
        assert c.get("/api/nothing").json()["error"]["key"] == "api.not_found"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUOTU_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("GUOTU_PUBLIC_READ", "false")
    monkeypatch.setenv("GUOTU_SESSION_HOURS", "2")
    s = Settings()
    assert (s.max_upload_bytes, s.public_read, s.session_hours) == (5 * 2**20, False, 2.0)

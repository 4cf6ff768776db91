"""The API documentation page works offline: Swagger UI comes from the locally built assets."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect


def test_swagger_ui_renders_without_internet(page: Page, demo_server: Any) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(demo_server.url) else None)
    page.goto(f"{demo_server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("国土", timeout=15000)
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert outside == []  # nothing fetched from anywhere but our own server
    assert page.errors == []  # type: ignore[attr-defined]

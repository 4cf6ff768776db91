"""The OpenAPI document is complete: every route has a summary, a response schema and its errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from guotu.api import create_app
from guotu.api.settings import Settings

WRITES = {
    ("post", "/api/layers/{layer}/features"), ("put", "/api/layers/{layer}/features/{fid}"),
    ("delete", "/api/layers/{layer}/features/{fid}"), ("post", "/api/layers/{layer}/editions"),
    ("post", "/api/users"), ("patch", "/api/users/{name}"), ("post", "/api/ledger/records/{kind}"),
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with TestClient(create_app(Settings(db=""))) as c:  # no store needed to describe the API
        r = c.get("/openapi.json")
        assert r.status_code == 200
        assert c.get("/docs").status_code == 200
        return r.json()  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_every_operation_has_a_summary_and_a_success_schema(spec: dict[str, Any]) -> None:
    ops = operations(spec)
    assert len(ops) >= 30
    for method, path, op in ops:
        assert op.get("summary"), (method, path)
        ok = op["responses"].get("200") or op["responses"].get("201")
        assert ok and ok.get("content"), (method, path)
        assert any(c.get("schema") for c in ok["content"].values()), (method, path)


def test_error_responses_are_described(spec: dict[str, Any]) -> None:
    assert "ErrorResponse" in spec["components"]["schemas"]
    for method, path, op in operations(spec):
        codes = set(op["responses"])
        if path != "/api/auth/login":
            assert codes & {"401", "403", "404"} or path == "/api/measure", (method, path)
        if (method, path) in WRITES:
            assert {"401", "403", "422"} <= codes, (method, path)
            assert op["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")
    compliance = spec["paths"]["/api/compliance"]["post"]
    assert {"400", "413", "422"} <= set(compliance["responses"])
    assert {"multipart/form-data", "application/json"} <= set(compliance["requestBody"]["content"])
    items = spec["paths"]["/ogc/collections/{layer}/items"]["get"]
    assert {"400", "404"} <= set(items["responses"])
    assert {p["name"] for p in items["parameters"]} >= {"bbox", "bbox-crs", "limit", "offset", "datetime", "crs"}
    tile = spec["paths"]["/ogc/collections/{layer}/tiles/{tms}/{z}/{y}/{x}"]["get"]
    assert {"204", "400", "404"} <= set(tile["responses"])
    assert "bearerAuth" in str(spec["components"].get("securitySchemes", {})) or "HTTPBearer" in str(
        spec["components"].get("securitySchemes", {}))


def test_routes_contract(spec: dict[str, Any]) -> None:
    expected = {
        "/api/auth/login", "/api/auth/logout", "/api/auth/me", "/api/users", "/api/layers",
        "/api/layers/{layer}/editions", "/api/layers/{layer}/features", "/api/layers/{layer}/features/{fid}",
        "/api/identify", "/api/measure", "/api/compliance", "/ogc", "/ogc/conformance", "/ogc/collections",
        "/ogc/collections/{layer}", "/ogc/collections/{layer}/items", "/ogc/collections/{layer}/items/{fid}",
        "/ogc/collections/{layer}/tiles/{tms}", "/ogc/collections/{layer}/tiles/{tms}/tilejson.json",
        "/ogc/collections/{layer}/tiles/{tms}/{z}/{y}/{x}",
        "/api/ledger/kinds", "/api/ledger/records", "/api/ledger/records/{kind}",
        "/api/ledger/records/{kind}/{record_id}", "/api/ledger/figures", "/api/ledger/figures/{figure_id}/records",
        "/api/ledger/reconcile",
        "/api/ledger/export.xlsx", "/api/ledger/parcels/{record_id}/history",
    }
    assert expected <= set(spec["paths"])

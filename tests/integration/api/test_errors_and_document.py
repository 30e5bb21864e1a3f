"""An unexpected error is still an answer in the API's error shape (or an error page), and the
OpenAPI document is complete: every reference resolves and every refusal is documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from lanshou.bootstrap import Runtime
from lanshou.entrypoints.api.deps import get_principal
from lanshou.entrypoints.app import OPENAPI_URL, create_app
from lanshou.entrypoints.web.context import logged_in
from tests.integration.web.world import bearer, login


def _broken() -> None:
    raise RuntimeError("a bug nobody caught")


def test_an_unexpected_error_is_a_500_in_the_api_error_shape(runtime: Runtime) -> None:
    app = create_app(runtime)
    app.dependency_overrides[get_principal] = _broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/orders", headers={"Authorization": "Bearer lsk_x"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error"}
    }
    assert "a bug nobody caught" not in response.text


def test_an_unexpected_error_on_a_page_is_an_error_page(runtime: Runtime) -> None:
    app = create_app(runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client, "merchant")
        app.dependency_overrides[logged_in] = _broken
        response = client.get("/orders")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>出错了</h1>" in response.text
    assert "<code>internal_error</code>" in response.text
    assert "a bug nobody caught" not in response.text


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_in_the_document_resolves(client: TestClient) -> None:
    document = client.get(OPENAPI_URL).json()
    refs = set(_refs(document))
    assert "#/components/schemas/TrackingEventIn" not in refs
    for ref in refs:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert isinstance(node, dict), ref
    events = document["paths"]["/api/v1/tracking/events"]["post"]["requestBody"]
    item = events["content"]["application/json"]["schema"]["properties"]["events"]["items"]
    assert item["required"] == ["carrier", "waybill", "time", "status"]


def test_every_operation_documents_its_refusals(client: TestClient) -> None:
    document = client.get(OPENAPI_URL).json()
    error = {"$ref": "#/components/schemas/ErrorPublic"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            takes_input = "requestBody" in operation or operation.get("parameters")
            if takes_input:
                assert "422" in answers, (method, path)
            if operation.get("security") and "/tracking/k" not in path:
                assert answers["401"]["content"]["application/json"]["schema"] == error
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_push_endpoints_document_their_own_answer_format(client: TestClient) -> None:
    document = client.get(OPENAPI_URL).json()
    for path, ack in (
        ("/api/v1/tracking/kuaidi100", "Kuaidi100Ack"),
        ("/api/v1/tracking/kdniao", "KdniaoAck"),
    ):
        answers = document["paths"][path]["post"]["responses"]
        assert sorted(answers) == ["200", "401", "413", "422"]
        for answer in answers.values():
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{ack}"
            }
    assert document["components"]["schemas"]["Kuaidi100Ack"]["required"] == [
        "result",
        "returnCode",
        "message",
    ]


def test_a_push_without_its_form_fields_is_the_documented_422(client: TestClient) -> None:
    response = client.post("/api/v1/tracking/kuaidi100", data={"sign": "x"})
    assert response.status_code == 422
    assert response.json() == {
        "result": False,
        "returnCode": "400",
        "message": "param: form field is missing",
    }
    assert bearer(client, "admin")  # the app is otherwise healthy after the refusal


def _integers(node: Any, document: dict[str, Any], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Integer schemas reachable from a request's parameters or body, through references."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            yield from _integers(
                document["components"]["schemas"][ref.split("/")[-1]], document, seen
            )
        if node.get("type") == "integer":
            yield node
        for value in node.values():
            yield from _integers(value, document, seen)
    elif isinstance(node, list):
        for item in node:
            yield from _integers(item, document, seen)


def test_every_integer_a_request_carries_has_a_documented_range(client: TestClient) -> None:
    """A new id or count without bounds would reach SQL unchecked: this test names it."""
    document = client.get(OPENAPI_URL).json()
    unbounded, counted = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            inputs = [operation.get("parameters", []), operation.get("requestBody", {})]
            for schema in _integers(inputs, document, set()):
                counted += 1
                if not ("minimum" in schema and schema.get("maximum", 2**63) < 2**63):
                    unbounded.append((method, path, schema.get("title")))
    assert unbounded == []
    assert counted == 42  # the contact log (order_id, shipment_id) and the receipt id included

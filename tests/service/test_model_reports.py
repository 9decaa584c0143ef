"""A model version's audit bundle, read through the API by supervisors."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from models import ModelRegistry
from service.main import create_app
from tests.backends import make_settings
from tests.factories import SERVED_BUNDLE, authorize
from training.promote import promote_version
from training.register import register_result


@pytest.fixture(scope="module")
def client(registry_with_champion, trained, tmp_path_factory):
    # Version 1 was made champion without the gates (no bundle); version 2, the same
    # training run, is put to them and promoted, which writes its bundle.
    root = tmp_path_factory.mktemp("reports") / "registry"
    shutil.copytree(registry_with_champion.root, root)
    registry = ModelRegistry(root)
    version = register_result(registry, trained)
    promote_version(registry, version, by="ana", reason="quarterly retrain")
    assert registry.alias("champion") == version == 2
    url = f"sqlite:///{tmp_path_factory.mktemp('reports-log') / 'decisions.db'}"
    with TestClient(create_app(make_settings(root, url))) as c:
        authorize(c, "supervisor")
        yield c


def test_the_index_lists_the_bundle_written_at_promotion(client) -> None:
    listed = client.get("/v1/reports/models/2?format=json")
    assert listed.status_code == 200
    assert listed.json() == {"version": 2, "documents": SERVED_BUNDLE}
    # An alias resolves to its version; the links name the version, not the alias.
    page = client.get("/v1/reports/models/champion")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<a href="2/audit.html">Fairness audit (rates, ratios and calibration by group)</a>' in (
        page.text
    )
    assert page.text.count("<li><a href=") == len(SERVED_BUNDLE)


def test_each_document_is_served_as_written_with_its_type(client, tmp_path_factory) -> None:
    registry = client.app.state.models.registry
    written = registry.version_dir(2) / "audit"
    media = {"html": "text/html; charset=utf-8", "json": "application/json"}
    media["md"] = "text/markdown; charset=utf-8"
    for name in SERVED_BUNDLE:
        response = client.get(f"/v1/reports/models/2/{name}")
        assert response.status_code == 200, name
        assert response.content == (written / name).read_bytes()
        assert response.headers["content-type"] == media[name.rsplit(".", 1)[1]]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("default-src 'none';")
    gates = client.get("/v1/reports/models/2/gates.json").json()
    assert (gates["version"], gates["decision"]) == (2, "promoted")


def test_head_on_the_bundle_pages_answers_as_get_without_the_body(client) -> None:
    # Browsers and link checkers send HEAD; FastAPI's GET routes answered it with 405.
    pages = ["/v1/reports/models/champion", "/v1/reports/models/2?format=json"]
    pages += [f"/v1/reports/models/2/{name}" for name in SERVED_BUNDLE]
    pages += ["/v1/reports/models/1/audit.html"]  # no bundle: the 404 is the same too
    for url in pages:
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code in (200, 404), url
        assert head.content == b""
        assert {k: v for k, v in head.headers.items() if k != "x-request-id"} == {
            k: v for k, v in get.headers.items() if k != "x-request-id"
        }, url


def test_missing_versions_bundles_and_documents_are_404_naming_what_exists(client) -> None:
    cases = {
        "/v1/reports/models/9": "'9' is neither a registered model version nor a set alias",
        "/v1/reports/models/testing": (
            "'testing' is neither a registered model version nor a set alias"
        ),
        "/v1/reports/models/v1": (
            "model version 1 has no audit bundle: it is written when the version is put to "
            "the promotion gates (`hotline promote`)"
        ),
        "/v1/reports/models/1/audit.html": (
            "model version 1 has no audit.html: see /v1/reports/models/1 for the documents it has"
        ),
    }
    registry = client.app.state.models.registry
    aliases = registry.root / "aliases"
    (aliases / "staging.json").write_text('{"version": 7}')  # a version since removed
    (aliases / "broken.json").write_text("{not json")
    cases["/v1/reports/models/staging/gates.json"] = (
        "'staging' names model version 7, which is not in the registry"
    )
    cases["/v1/reports/models/broken"] = "the alias 'broken' cannot be read; see the service's log"
    for path, message in cases.items():
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == {
            "code": "report_not_found",
            "message": message,
            "fields": [{"field": "path.version", "message": message, "type": "report_not_found"}],
        }
        assert str(client.app.state.models.registry.root) not in response.text


@pytest.mark.parametrize(
    ("path", "status", "fields"),
    [
        ("/v1/reports/models/2/holdout.parquet", 422, ["path.document"]),
        ("/v1/reports/models/2/model.joblib", 422, ["path.document"]),
        ("/v1/reports/models/Champion", 422, ["path.version"]),
        # Decoded before routing: more segments than any route has.
        ("/v1/reports/models/2/..%2Fmetadata.json", 404, []),
        ("/v1/reports/models/..%2F..%2Fetc/audit.html", 404, []),
    ],
)
def test_only_the_bundles_files_can_be_named(client, path, status, fields) -> None:
    # The model itself, its holdout rows and anything outside the bundle stay unreachable.
    response = client.get(path)
    assert response.status_code == status, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == fields


def test_a_screener_may_not_read_model_reports(client) -> None:
    authorize(client, "screener")
    try:
        response = client.get("/v1/reports/models/2/audit.html")
    finally:
        authorize(client, "supervisor")
    assert response.status_code == 403
    assert json.loads(response.text)["error"]["code"] == "forbidden"

"""Answers under /v1/ say `Cache-Control: no-store`: they hold personal data or secrets."""

from tests.service.observability.conftest import as_role, example


def test_every_v1_answer_is_no_store_refusals_included(client) -> None:
    admin = as_role(client, "admin")
    answers = [
        client.post("/v1/score", json=example()),
        client.post("/v1/keys", json={"name": "n1", "role": "screener"}, headers=admin),
        client.get("/v1/decisions/nope"),
        client.post("/v1/score", content=b"x", headers={"content-type": "text/plain"}),
        client.get("/v1/rules", headers={"Authorization": ""}),
        client.head("/v1/rules"),
    ]
    assert [a.status_code for a in answers] == [200, 201, 404, 415, 401, 200]
    assert [a.headers.get_list("cache-control") for a in answers] == [["no-store"]] * 6


def test_probes_and_the_schema_keep_their_own_caching(client) -> None:
    for path in ("/health", "/ready", "/openapi.json"):
        response = client.get(path)
        assert response.status_code == 200
        assert "cache-control" not in response.headers, path

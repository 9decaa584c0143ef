"""`/metrics`: exact names, labels and values after a few requests; needs metrics:read."""

import pytest
import uvicorn
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from service.cli import serve
from service.middleware.admission import AdmissionMiddleware
from tests.backends import find_middleware
from tests.service.decision_log.factories import drop_the_log
from tests.service.observability.conftest import as_role, example


def _samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=as_role(client, "admin"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_metrics_after_two_scores_and_a_miss(client) -> None:
    a = client.post("/v1/score", json=example()).json()
    b = client.post("/v1/score", json=example("referral-multiple-complaint.json")).json()
    assert client.get("/v1/decisions/nope").status_code == 404
    samples = _samples(client)

    def value(name: str, **labels) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    duration = "hotline_http_request_duration_seconds"
    assert value(f"{duration}_count", method="POST", route="/v1/score", status="200") == 2
    assert (
        value(f"{duration}_count", method="GET", route="/v1/decisions/{decision_id}", status="404")
        == 1
    )
    assert (
        value(f"{duration}_bucket", method="POST", route="/v1/score", status="200", le="+Inf") == 2
    )
    bands = [a["band"], b["band"]]
    for band in set(bands):
        assert value("hotline_scores_total", band=band) == bands.count(band)
    recommendations = [a["recommendation"]["value"], b["recommendation"]["value"]]
    assert recommendations[1] == "screen_in_required"
    for rec in set(recommendations):
        assert value("hotline_recommendations_total", recommendation=rec) == recommendations.count(
            rec
        )
    hits = [h["id"] for r in (a, b) for h in r["rule_hits"]]
    assert "multiple-complaint" in hits
    for rule_id in set(hits):
        assert value("hotline_rule_hits_total", rule_id=rule_id) == hits.count(rule_id)
    assert value("hotline_model_version") == a["model_version"]
    # Sequential requests: each score is its own batch of one.
    assert value("hotline_decision_log_batch_size_count") == 2
    assert value("hotline_decision_log_batch_size_sum") == 2
    assert value("hotline_decision_log_write_failures_total") == 0
    assert value("hotline_admission_rejections_total") == 0
    assert value("hotline_http_requests_in_flight") == 1  # this /metrics request


def test_a_failed_log_write_is_counted(client) -> None:
    drop_the_log(client.app.state.decision_log.engine)
    assert client.post("/v1/score", json=example()).status_code == 503
    samples = _samples(client)
    assert samples[("hotline_decision_log_write_failures_total", ())] == 1
    assert samples[("hotline_decision_log_batch_size_count", ())] == 1
    assert not any(name == "hotline_scores_total" for name, _ in samples)
    assert (
        samples[
            (
                "hotline_http_request_duration_seconds_count",
                (("method", "POST"), ("route", "/v1/score"), ("status", "503")),
            )
        ]
        == 1
    )


def test_metrics_need_the_metrics_read_permission(client) -> None:
    assert client.get("/metrics").status_code == 403  # the client's default key: screener
    anonymous = client.get("/metrics", headers={"Authorization": ""})
    assert anonymous.status_code == 401


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_empties_a_chosen_metrics_directory_whatever_the_workers(
    tmp_path, monkeypatch, workers
) -> None:
    # Counters left by an earlier run would be summed into /metrics: with one worker too,
    # since the client is in multiprocess mode whenever the variable is set.
    chosen = tmp_path / "metrics"
    chosen.mkdir()
    (chosen / "counter_123.db").write_bytes(b"stale")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(chosen))
    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw["workers"]))
    result = CliRunner().invoke(serve, ["--workers", workers, "--port", "1"])
    assert result.exit_code == 0, result.output
    assert started == [int(workers)]
    assert list(chosen.iterdir()) == []


def test_refusals_before_routing_are_counted_under_the_route_asked_for(app_factory) -> None:
    # Middleware answers before the router runs, so the scope names no route: every 503
    # overloaded, 413 and 415 was counted as route="unmatched", even on /v1/score.
    from fastapi.testclient import TestClient

    from tests.factories import issue_key

    app = app_factory()
    with TestClient(app) as client:
        client.keys = {"admin": issue_key(app.state.decision_log, "admin")}
        admission = find_middleware(app.middleware_stack, AdmissionMiddleware)
        admission.in_flight = admission.max_in_flight  # one more is over the limit
        admin = as_role(client, "admin")
        assert client.post("/v1/score", json=example(), headers=admin).status_code == 503
        admission.in_flight = 0
        assert client.post("/v1/score", content=b"x", headers={}).status_code == 415
        too_large = client.post(
            f"/v1/decisions/{'a' * 32}/screening",
            content=b"{" + b" " * 300_000 + b"}",  # past the default 256 KiB
            headers={"content-type": "application/json"},
        )
        assert too_large.status_code == 413
        assert client.get("/openapi.json").status_code == 200
        samples = _samples(client)

    def count(method: str, route: str, status: str) -> float | None:
        labels = (("method", method), ("route", route), ("status", status))
        return samples.get(("hotline_http_request_duration_seconds_count", labels))

    assert count("POST", "/v1/score", "503") == 1
    assert count("POST", "/v1/score", "415") == 1
    assert count("POST", "/v1/decisions/{decision_id}/screening", "413") == 1
    assert count("GET", "/openapi.json", "200") == 1
    assert not any(dict(labels).get("route") == "unmatched" for _, labels in samples)

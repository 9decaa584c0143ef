"""docker-compose.yml and deploy/nginx.conf, checked without a Docker engine."""

import re
from pathlib import Path

import pytest
import yaml

from service.config import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ("api-1", "api-2")
SECRET_REF = re.compile(r"\$\{(?P<name>[A-Z_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def nginx() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def test_services_are_postgres_two_replicas_and_a_proxy(compose) -> None:
    assert set(compose["services"]) == {"db", *REPLICAS, "proxy"}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert set(compose["volumes"]) == {"pgdata", "registry"}


def test_replicas_share_one_database_and_the_registry_read_only(compose) -> None:
    envs = [compose["services"][r]["environment"] for r in REPLICAS]
    assert envs[0] == envs[1]
    url = envs[0]["HOTLINE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://hotline:") and url.endswith("@db:5432/hotline")
    for replica in REPLICAS:
        service = compose["services"][replica]
        assert "registry:/var/lib/hotline/registry:ro" in service["volumes"]
        assert service["environment"]["HOTLINE_REGISTRY_DIR"] == "/var/lib/hotline/registry"
        assert service["environment"]["HOTLINE_ENVIRONMENT"] == "production"
        assert service["depends_on"]["db"]["condition"] == "service_healthy"


def test_secrets_are_required_references_never_literals(compose) -> None:
    env = compose["services"]["api-1"]["environment"]
    assert SECRET_REF.fullmatch(env["HOTLINE_PSEUDONYM_KEY"]).group("name") == (
        "HOTLINE_PSEUDONYM_KEY"
    )
    assert [m.group("name") for m in SECRET_REF.finditer(env["HOTLINE_DATABASE_URL"])] == [
        "POSTGRES_PASSWORD"
    ]
    db_password = compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    assert SECRET_REF.fullmatch(db_password).group("name") == "POSTGRES_PASSWORD"
    # No API key or demo key is baked in: keys are created with `hotline keys create`.
    text = (ROOT / "docker-compose.yml").read_text()
    assert "HOTLINE_DEMO_KEY" not in text and "hlk_" not in text


def test_proxy_waits_for_both_healthy_replicas_and_terminates_tls(compose, nginx) -> None:
    proxy = compose["services"]["proxy"]
    assert proxy["depends_on"] == {r: {"condition": "service_healthy"} for r in REPLICAS}
    assert proxy["ports"] == ["443:443"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert "listen 443 ssl;" in nginx
    assert re.findall(r"server (api-\d):8000", nginx) == list(REPLICAS)
    for replica in REPLICAS:
        assert "ports" not in compose["services"][replica]  # reachable only through the proxy


def test_every_service_has_a_healthcheck(compose) -> None:
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name
    assert "/health" in " ".join(compose["services"]["api-1"]["healthcheck"]["test"])


def test_body_limit_at_the_proxy_matches_the_app(compose, nginx) -> None:
    size = re.search(r"client_max_body_size (\d+)k;", nginx).group(1)
    app_default = ServiceSettings.model_fields["max_body_bytes"].default
    assert int(size) * 1024 == app_default
    env = compose["services"]["api-1"]["environment"]
    assert int(env["HOTLINE_MAX_BODY_BYTES"]) == app_default


def test_the_proxy_forwards_a_request_id_the_app_keeps(nginx) -> None:
    from service.observability import request_id_from

    assert "proxy_set_header X-Request-ID $request_id;" in nginx
    nginx_style = "4e1b2c3d4e5f60718293a4b5c6d7e8f9"  # nginx's $request_id: 32 hex digits
    assert request_id_from(nginx_style) == nginx_style

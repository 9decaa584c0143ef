"""Keys: hashed at rest, checked in constant time, revoked within the cache TTL."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline_cli import main
from service.auth import KeyVerifier, Principal, Role, Unauthenticated, create_key, revoke_key
from service.auth.keys import generate_key, hash_key, key_id_of
from service.auth.store import KeyRecord
from tests.factories import issue_key
from tests.service.decision_log.factories import created_log

from .conftest import bearer


def test_generated_keys_carry_their_id_and_other_keys_get_a_derived_one() -> None:
    key_id, token = generate_key()
    assert token.startswith(f"hlk_{key_id}_")
    assert key_id_of(token) == key_id
    assert key_id_of("xyz") == key_id_of("xyz") != key_id_of("xyz2")
    assert key_id_of("xyz").startswith("x") and len(key_id_of("xyz")) == 16


def test_only_the_hash_is_stored(app_client) -> None:
    log = app_client.app.state.decision_log
    record, token = create_key(log, name="hash-check", role=Role.screener)
    with log.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys WHERE name = 'hash-check'")).all()
    assert len(rows) == 1
    assert token not in str(rows[0])
    assert rows[0].key_hash == hash_key(token) == record.key_hash


def test_bearer_and_x_api_key_both_work(app_client, role_keys) -> None:
    key = role_keys[Role.screener]
    assert app_client.get("/v1/rules", headers=bearer(key)).status_code == 200
    assert app_client.get("/v1/rules", headers={"X-API-Key": key}).status_code == 200


UNKNOWN = (
    "The API key is unknown or revoked; send a valid key as 'Authorization: Bearer <key>' "
    "or 'X-API-Key: <key>' (an admin creates one with `hotline keys create`)"
)
NO_KEY = "No API key was sent; send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>')"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "Bearer hlk_0000000000000000_" + "a" * 43}, UNKNOWN),
        ({"Authorization": "Bearer not-a-key"}, UNKNOWN),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, UNKNOWN),  # user:pass
        ({"Authorization": "Basic not base64!"}, UNKNOWN),
        # A key was sent: the unknown-key answer (it said "No API key was sent").
        ({"X-API-Key": "x" * 600}, UNKNOWN),
    ],
    ids=["unknown-id", "unknown-free-form", "basic-unknown", "basic-malformed", "too-long"],
)
def test_unknown_keys_are_401(app_client, headers, message) -> None:
    response = app_client.get("/v1/rules", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.json()["error"]["message"] == message
    assert response.headers["www-authenticate"] == 'Bearer realm="hotline"'


def test_a_browser_is_asked_for_the_key_and_sends_it_as_basic(app_client, role_keys) -> None:
    # A supervisor opening a report in a browser: the 401 offers Basic, so the browser shows
    # its login dialog; the key typed as the password (any user name) is then accepted.
    page = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    refused = app_client.get("/v1/reports/monitoring", headers=page)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="hotline", charset="UTF-8"'
    key = role_keys[Role.supervisor]
    basic = base64.b64encode(f"dana:{key}".encode()).decode()
    report = app_client.get(
        "/v1/reports/monitoring", headers={**page, "Authorization": f"Basic {basic}"}
    )
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/html; charset=utf-8"
    # The role still decides: a screener's key typed into the dialog is refused (403).
    screener = base64.b64encode(f"sam:{role_keys[Role.screener]}".encode()).decode()
    forbidden = app_client.get(
        "/v1/reports/monitoring", headers={**page, "Authorization": f"Basic {screener}"}
    )
    assert forbidden.status_code == 403
    # Never for a change: a browser would send the cached login with a forged cross-site form.
    admin = base64.b64encode(f"a:{role_keys[Role.admin]}".encode()).decode()
    write = app_client.post(
        "/v1/keys",
        headers={"Authorization": f"Basic {admin}", "content-type": "application/json"},
        json={"role": "admin", "name": "planted"},
    )
    assert write.status_code == 401
    assert write.json()["error"]["message"] == NO_KEY


def test_right_id_wrong_secret_is_401(app_client, role_keys) -> None:
    key = role_keys[Role.screener]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert app_client.get("/v1/rules", headers=bearer(forged)).status_code == 401


def test_a_key_revoked_through_the_api_stops_working_at_once(app_client, role_keys) -> None:
    key = issue_key(app_client.app.state.decision_log, "screener")
    assert app_client.get("/v1/rules", headers=bearer(key)).status_code == 200
    response = app_client.delete(
        f"/v1/keys/{key_id_of(key)}", headers=bearer(role_keys[Role.admin])
    )
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert app_client.get("/v1/rules", headers=bearer(key)).status_code == 401


def test_a_key_revoked_elsewhere_stops_working_within_the_ttl() -> None:
    now = [0.0]
    records: dict[str, KeyRecord] = {}
    key_id, token = generate_key()
    records[key_id] = KeyRecord(key_id, "n", Role.screener, hash_key(token), "t", None)
    verifier = KeyVerifier(records.get, ttl=5.0, clock=lambda: now[0])
    assert verifier.verify(token) == Principal(key_id, "n", Role.screener)
    records[key_id] = KeyRecord(key_id, "n", Role.screener, hash_key(token), "t", "revoked")
    now[0] = 4.9
    assert verifier.verify(token).key_id == key_id  # still cached
    now[0] = 5.0
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_read_that_overlaps_a_local_revoke_is_not_cached() -> None:
    # A request's store read began before DELETE /v1/keys committed and called forget(); it
    # saw the key active. Cached, that stale row kept the revoked key working for a whole
    # TTL on the replica that had just answered "revoked".
    key_id, token = generate_key()
    active = KeyRecord(key_id, "n", Role.screener, hash_key(token), "t", None)
    records: dict[str, KeyRecord] = {key_id: active}
    verifier: KeyVerifier

    def find_then_revoke(wanted: str) -> KeyRecord | None:
        found = records.get(wanted)
        records[key_id] = KeyRecord(key_id, "n", Role.screener, hash_key(token), "t", "now")
        verifier.forget()  # what DELETE /v1/keys does once the revoke is committed
        return found

    verifier = KeyVerifier(find_then_revoke, ttl=5.0, clock=lambda: 0.0)
    assert verifier.verify(token) == Principal(key_id, "n", Role.screener)  # began before
    assert verifier.cached(key_id) == (False, None)
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_unknown_ids_are_cached_so_floods_do_not_reach_the_store() -> None:
    calls = []

    def find(key_id):
        calls.append(key_id)

    verifier = KeyVerifier(find, ttl=5.0, clock=lambda: 0.0)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            verifier.verify("made-up")
    assert len(calls) == 1


def test_keys_api_creates_shows_once_lists_without_secrets(app_client, role_keys) -> None:
    admin = bearer(role_keys[Role.admin])
    created = app_client.post(
        "/v1/keys", json={"name": "api-made", "role": "supervisor"}, headers=admin
    )
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith(f"hlk_{body['key_id']}_")
    again = app_client.post(
        "/v1/keys", json={"name": "api-made", "role": "screener"}, headers=admin
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_key_name"
    assert [f["field"] for f in again.json()["error"]["fields"]] == ["body.name"]
    listed = app_client.get("/v1/keys", headers=admin).json()["keys"]
    mine = [k for k in listed if k["name"] == "api-made"]
    assert mine == [{k: v for k, v in body.items() if k != "key"}]
    assert body["key"] not in str(listed)
    assert (
        app_client.get(
            "/v1/reports/monitoring?format=json", headers=bearer(body["key"])
        ).status_code
        == 200
    )


def test_revoking_an_unknown_key_is_404(app_client, role_keys) -> None:
    response = app_client.delete("/v1/keys/nobody", headers=bearer(role_keys[Role.admin]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "key_not_found"
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["path.name_or_id"]


def test_revoking_by_id_never_revokes_a_key_named_like_that_id(app_client, role_keys) -> None:
    admin = bearer(role_keys[Role.admin])
    first = app_client.post("/v1/keys", json={"name": "first", "role": "screener"}, headers=admin)
    first_id, first_key = first.json()["key_id"], first.json()["key"]
    other = app_client.post("/v1/keys", json={"name": first_id, "role": "screener"}, headers=admin)
    other_id, other_key = other.json()["key_id"], other.json()["key"]
    revoked = app_client.delete(f"/v1/keys/{first_id}", headers=admin)
    assert (revoked.status_code, revoked.json()["key_id"]) == (200, first_id)
    # A retried revoke by the same id: the key is gone already; before, the other key (whose
    # name is that id) was revoked in its place.
    again = app_client.delete(f"/v1/keys/{first_id}", headers=admin)
    assert again.status_code == 404
    assert again.json()["error"]["message"] == (
        f"No active key has the name or id {first_id!r}; `hotline keys list` shows them"
    )
    assert app_client.get("/v1/rules", headers=bearer(first_key)).status_code == 401
    assert app_client.get("/v1/rules", headers=bearer(other_key)).status_code == 200
    assert app_client.delete(f"/v1/keys/{other_id}", headers=admin).json()["name"] == first_id


def test_cli_create_list_revoke(tmp_path) -> None:
    url = created_log(f"sqlite:///{tmp_path / 'keys.db'}")
    runner = CliRunner()
    created = runner.invoke(
        main, ["keys", "create", "--role", "supervisor", "--name", "dana", "--database-url", url]
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    # Which log: a service on another URL would not know the key.
    assert created.stderr == (
        f"created key {key_id_of(token)} (dana, supervisor) in {url}; shown once:\n"
    )
    assert token.startswith("hlk_")
    listed = runner.invoke(main, ["keys", "list", "--database-url", url])
    assert listed.exit_code == 0
    assert f"{key_id_of(token)}  dana" in listed.stdout
    assert token not in listed.stdout
    dup = runner.invoke(
        main, ["keys", "create", "--role", "screener", "--name", "dana", "--database-url", url]
    )
    assert dup.exit_code == 1
    assert "An active key is already named 'dana'" in dup.output
    revoked = runner.invoke(main, ["keys", "revoke", "dana", "--database-url", url])
    assert revoked.exit_code == 0
    assert revoked.stdout.startswith(f"revoked {key_id_of(token)} (dana)")
    gone = runner.invoke(main, ["keys", "revoke", "dana", "--database-url", url])
    assert gone.exit_code == 1
    assert "No active key has the name or id 'dana'" in gone.output


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "-dash-first", "x" * 101])
def test_cli_refuses_a_key_name_the_api_would_refuse(tmp_path, name) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    args = ["keys", "create", "--role", "screener", "--name", name, "--database-url", url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--name': letters, digits, . _ @ - (starting with a letter "
        "or digit), at most 100"
    )
    assert not (tmp_path / "keys.db").exists()  # refused before anything was opened


def test_ensure_demo_uses_hotline_demo_key_or_rotates_a_random_one(tmp_path, monkeypatch) -> None:
    from service.decision_log import open_log

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    monkeypatch.setenv("HOTLINE_DEMO_KEY", "xyz")
    first = runner.invoke(main, ["keys", "ensure-demo", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "Demo screener API key: xyz" in first.stdout
    assert "-H 'Authorization: Bearer xyz'" in first.stdout
    again = runner.invoke(main, ["keys", "ensure-demo", "--database-url", url])
    assert again.exit_code == 0  # idempotent with the same key
    monkeypatch.delenv("HOTLINE_DEMO_KEY")
    rotated = runner.invoke(main, ["keys", "ensure-demo", "--database-url", url])
    token = rotated.stdout.split("Demo screener API key: ")[1].split()[0]
    assert token.startswith("hlk_")
    log = open_log(url, key=b"0123456789abcdef")
    try:
        verifier = KeyVerifier(
            lambda k: __import__("service.auth", fromlist=["x"]).find_key(log, k), ttl=0
        )
        assert verifier.verify(token).role is Role.screener
        with pytest.raises(Unauthenticated):
            verifier.verify("xyz")  # the previous demo key was revoked
        revoke_key(log, "demo")
    finally:
        log.dispose()


@pytest.mark.parametrize(
    "demo_key", ["clé-demo", "k" * 513, "two\nlines"], ids=["utf8", "long", "newline"]
)
def test_ensure_demo_refuses_a_demo_key_no_request_could_present(
    tmp_path, monkeypatch, demo_key
) -> None:
    # Before, it was stored and printed as the demo key, and every request with it got 401:
    # the server reads header bytes as latin-1 (curl sends UTF-8), and keys over 512
    # characters are refused unread.
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("HOTLINE_DEMO_KEY", demo_key)
    result = CliRunner().invoke(main, ["keys", "ensure-demo", "--database-url", url])
    assert result.exit_code == 1
    assert result.output == (
        "Error: HOTLINE_DEMO_KEY must be 1 to 512 printable ASCII characters (letters, digits, "
        "punctuation, spaces); a request header cannot carry others\n"
    )
    assert not (tmp_path / "demo.db").exists()


def test_a_demo_key_of_the_longest_presentable_length_works(app_client) -> None:
    token = "k" * 512
    create_key(app_client.app.state.decision_log, name="long-demo", role=Role.screener, token=token)
    assert app_client.get("/v1/rules", headers={"X-API-Key": token}).status_code == 200

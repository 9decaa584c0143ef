"""A failed reload keeps serving the last good rule set."""

from __future__ import annotations

import pytest

from service.rules import RulesError, RulesFileError, RulesHolder, VersionNotRaised
from service.rules.errors import RulesBlocked
from tests.service.rules.factories import one_rule_file


def test_reload_swaps_on_success_and_keeps_last_good_on_failure(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    holder = RulesHolder.from_path(path)
    assert holder.current.version == "v1"

    path.write_text(one_rule_file(version='"v2"'))
    assert holder.reload().version == "v2"
    assert holder.current.version == "v2"
    assert holder.last_error is None

    path.write_text(one_rule_file(version='"v3"', action="screen_in"))
    with pytest.raises(RulesFileError) as caught:
        holder.reload()
    assert str(caught.value).startswith(f"{path}: rule 'r1': action.type: ")
    assert holder.current.version == "v2"
    assert holder.last_error is caught.value

    other = tmp_path / "other.yaml"
    other.write_text(one_rule_file(version='"v4"'))
    assert holder.reload(other).version == "v4"
    assert holder.current.source == str(other)


def test_service_does_not_start_on_a_bad_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("version: [\n")
    with pytest.raises(RulesFileError):
        RulesHolder.from_path(path)


def test_reload_refuses_other_rules_under_a_version_already_served(tmp_path):
    # Decisions are logged by version: a changed rule under an unchanged version would make
    # two different rule sets indistinguishable in the log.
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    holder = RulesHolder.from_path(path)
    first = holder.current

    kept = holder.reload()  # the same file again is no change
    assert kept.sha256 == first.sha256
    path.write_text(one_rule_file(version='"v1"').replace("value: 3", "value: 4"))
    with pytest.raises(VersionNotRaised) as caught:
        holder.reload()
    assert str(caught.value) == (
        f"{path}: the rules differ from those served as version 'v1'; bump `version` in the "
        "file (decisions are logged by version, so two different rule sets must not share one)"
    )
    assert isinstance(caught.value, RulesError)  # the admin route reports RulesError
    assert holder.current is kept
    assert holder.last_error is caught.value

    path.write_text(one_rule_file(version='"v2"').replace("value: 3", "value: 4"))
    assert holder.reload().version == "v2"
    # Back to v1's own content (a rollback) is fine; v1 with yet other content is not.
    path.write_text(one_rule_file(version='"v1"'))
    assert holder.reload().sha256 == first.sha256
    path.write_text(one_rule_file(version='"v1"', rule_id="r2"))
    with pytest.raises(VersionNotRaised):
        holder.reload()
    assert holder.current.sha256 == first.sha256


def test_follow_applies_a_changed_file_and_reports_a_refused_one_once(tmp_path, caplog):
    # Every worker's follower thread calls follow(): an edited file reaches them all, and a
    # bad one is logged once per content, not every poll.
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    holder = RulesHolder.from_path(path)
    assert holder.follow() is None  # nothing changed

    path.write_text(one_rule_file(version='"v2"'))
    assert holder.follow() is None  # seen once: a file written in place may be half-written
    assert holder.current.version == "v1"
    assert holder.follow().version == "v2"  # the same a poll later
    assert holder.current.version == "v2"
    assert holder.follow() is None

    path.write_text(one_rule_file(version='"v2"').replace("value: 3", "value: 4"))
    caplog.clear()
    with caplog.at_level("ERROR", logger="hotline.service.rules"):
        assert holder.follow() is None
        assert holder.follow() is None
        assert holder.follow() is None
    assert holder.current.version == "v2"
    assert isinstance(holder.last_error, VersionNotRaised)
    assert [r.getMessage() for r in caplog.records] == [
        f"rules not reloaded, version v2 stays in use: {holder.last_error}"
    ]

    path.unlink()
    assert holder.follow() is None
    assert holder.follow() is None
    assert isinstance(holder.last_error, RulesFileError)
    path.write_text(one_rule_file(version='"v3"'))
    assert holder.follow() is None
    assert holder.follow().version == "v3"
    assert holder.last_error is None


def test_follow_after_a_reload_of_the_same_file_changes_nothing(tmp_path, caplog):
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    holder = RulesHolder.from_path(path)
    path.write_text(one_rule_file(version='"v2"'))
    reloaded = holder.reload()  # POST /v1/admin/reload, before the next poll
    with caplog.at_level("WARNING", logger="hotline.service.rules"):
        assert holder.follow() is None
    assert holder.current is reloaded
    assert caplog.records == []


def test_a_claim_the_log_could_not_take_is_taken_by_follow(tmp_path, caplog):
    # The log was down at startup: the version is claimed once it is back. Should another
    # worker have claimed it for other content meanwhile, that is logged once.
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    answers = iter([False, True])
    calls = []

    def claim(ruleset) -> bool:
        calls.append(ruleset.version)
        return next(answers)

    holder = RulesHolder.from_path(path, claim=claim)
    holder.claim_or_block()  # at startup: the log is down
    assert holder.follow() is None  # claimed now
    assert holder.follow() is None  # and not again
    assert calls == ["v1", "v1"]

    def taken(ruleset) -> bool:
        raise VersionNotRaised("v1 means other rules")

    disputed = RulesHolder.from_path(path, claim=taken)
    with caplog.at_level("ERROR", logger="hotline.service.rules"):
        disputed.follow()
        disputed.follow()
    assert [r.getMessage() for r in caplog.records] == [
        "no rules applied, scores refused until the file is fixed: v1 means other rules"
    ]
    assert disputed.blocked == "v1 means other rules"


def _claims(state: dict):
    # A claimer as the service's: False while the log is down, VersionNotRaised once the
    # version turns out claimed for other content.
    def claim(ruleset) -> bool:
        if state["down"]:
            return False
        raise VersionNotRaised(f"{ruleset.version} means other rules")

    return claim


def test_a_blocked_worker_stays_blocked_on_the_refused_file_while_the_log_is_down(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"').replace("value: 3", "value: 4"))
    state = {"down": False}
    holder = RulesHolder.from_path(path, claim=_claims(state))
    holder.claim_or_block()  # at startup: the version is another content's
    assert holder.blocked == "v1 means other rules"
    state["down"] = True  # an admin reload during a blip of the log: the same file
    with pytest.raises(RulesBlocked):
        holder.reload()
    state["down"] = False
    for _ in range(3):
        holder.follow()
    assert holder.blocked is not None
    with pytest.raises(RulesBlocked):
        holder.current  # noqa: B018


def test_a_worker_started_while_the_log_was_down_is_blocked_once_it_is_back(tmp_path, caplog):
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    state = {"down": True}
    holder = RulesHolder.from_path(path, claim=_claims(state))
    holder.claim_or_block()  # at startup: cannot be checked
    assert holder.current.version == "v1"
    state["down"] = False
    with caplog.at_level("ERROR", logger="hotline.service.rules"):
        holder.follow()
        holder.follow()
    assert holder.blocked == "v1 means other rules"
    assert [r.getMessage() for r in caplog.records] == [
        "no rules applied, scores refused until the file is fixed: v1 means other rules"
    ]


def test_a_revert_after_an_admin_reload_is_followed(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    holder = RulesHolder.from_path(path)
    path.write_text(one_rule_file(version='"v2"'))
    assert holder.follow() is None  # seen once
    assert holder.reload().version == "v2"  # an admin reload before the next poll
    path.write_text(one_rule_file(version='"v1"'))  # and the change taken back
    holder.follow()
    assert holder.follow().version == "v1"

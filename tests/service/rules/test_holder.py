"""A failed reload keeps serving the last good rule set."""

from __future__ import annotations

import pytest

from service.rules import RulesFileError, RulesHolder
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

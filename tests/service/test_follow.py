"""The follower thread outlives a check that fails."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from service.follow import Follower


def test_a_failing_check_is_logged_and_the_others_still_run(caplog) -> None:
    calls: list[str] = []

    def broken() -> None:
        raise OSError("registry unreachable")

    follower = Follower(
        SimpleNamespace(refresh=broken),
        SimpleNamespace(follow=lambda: calls.append("rules")),
        SimpleNamespace(follow=lambda: calls.append("directory")),
        interval=3600,
    )
    with caplog.at_level(logging.ERROR, logger="hotline.service.follow"):
        follower.check()
    assert calls == ["rules", "directory"]
    assert [r.getMessage() for r in caplog.records] == [
        "following test_a_failing_check_is_logged_and_the_others_still_run.<locals>.broken "
        "failed; retrying next poll"
    ]

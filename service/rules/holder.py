"""Keep the active rule set; a failed reload keeps serving the last good one.

A reload is refused when the file's content changed but its version did not: decisions are
logged with the version, and two different rule sets under one version could not be told apart.
:meth:`RulesHolder.follow` reloads when the file's content changes (each worker's follower
thread calls it, :mod:`service.follow`), so every worker applies the file on disk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from service.rules.errors import RulesBlocked, RulesError, VersionNotRaised
from service.rules.loader import load_rules
from service.rules.ruleset import RuleSet

log = logging.getLogger("hotline.service.rules")

Claimer = Callable[[RuleSet], bool]
"""Claims a rule set's version for its content (see :class:`RulesHolder`)."""

BUMP = (
    "bump `version` in the file (decisions are logged by version, so two different rule sets "
    "must not share one)"
)


class RulesHolder:
    """The active rule set, swapped atomically on a successful reload.

    Parameters
    ----------
    ruleset : RuleSet
        The rule set to serve first. The service refuses to start without a good one, so
        there is no "empty" holder.
    claim : callable, optional
        Claims a rule set's version for its content where every worker sees it (the
        decision log): returns whether it could (``False``: not now, the log is down; the
        claim is retried by :meth:`follow`), raises :class:`VersionNotRaised` when the
        version was claimed for other content.
    """

    def __init__(self, ruleset: RuleSet, *, claim: Claimer | None = None) -> None:
        self._current = ruleset
        self._claim = claim
        self._blocked: str | None = None
        # (version, SHA-256) pairs claimed, and those found claimed for other content.
        self._claimed: set[tuple[str, str]] = set()
        self._disputed: set[tuple[str, str]] = set()
        self._last_error: RulesError | None = None
        # Every version this holder has served, with the SHA-256 of its file: a version goes
        # back to its own content (a rollback) but never to other content.
        self._served: dict[str, str] = {ruleset.version: ruleset.sha256}
        # Reloads are serialised so two concurrent reloads cannot interleave; readers need no
        # lock because replacing one attribute reference is atomic.
        self._lock = threading.Lock()
        # The content follow() last acted on: a refused file is not reloaded (nor its error
        # logged) again every poll, only once it changes.
        self._looked_at = ruleset.sha256
        self._pending: str | None = None

    @classmethod
    def from_path(
        cls, path: str | os.PathLike[str], *, claim: Claimer | None = None
    ) -> RulesHolder:
        """Load a rules file and hold it.

        Parameters
        ----------
        path : str or os.PathLike
            The rules file.
        claim : callable, optional
            As for the class.

        Returns
        -------
        RulesHolder
            Holding the loaded rule set.

        Raises
        ------
        RulesFileError
            If the file is invalid (the service must not start).
        """
        return cls(load_rules(path), claim=claim)

    @property
    def current(self) -> RuleSet:
        """The rule set in use.

        Raises
        ------
        RulesBlocked
            None is: the file in use was refused (:meth:`block`).
        """
        if self._blocked is not None:
            raise RulesBlocked(self._blocked)
        return self._current

    @property
    def loaded(self) -> RuleSet:
        """The rule set last loaded: in use, or (while blocked) refused."""
        return self._current

    @property
    def blocked(self) -> str | None:
        """Why no rule set is in use, or ``None`` while one is."""
        return self._blocked

    def block(self, reason: VersionNotRaised) -> None:
        """Use no rule set until a reload succeeds (the file in use was refused).

        Parameters
        ----------
        reason : VersionNotRaised
        """
        self._blocked = str(reason)
        self._last_error = reason
        refused = self._current
        # Never served: the version's own rules (the claimed ones) may come back under it.
        self._served.pop(refused.version, None)
        self._disputed.add((refused.version, refused.sha256))  # said once, here

    @property
    def last_error(self) -> RulesError | None:
        """The error of the latest reload, or ``None`` if it succeeded."""
        return self._last_error

    def reload(self, path: str | os.PathLike[str] | None = None) -> RuleSet:
        """Load a rules file and make it active; on failure keep the current set.

        Parameters
        ----------
        path : str or os.PathLike, optional
            The file to load; by default the file the current set came from.

        Returns
        -------
        RuleSet
            The newly active rule set.

        Raises
        ------
        RulesFileError
            If the file is invalid.
        VersionNotRaised
            If the file's content differs from what this holder served under the same
            version, or from what the version was claimed for (the claim).
        RulesBlocked
            If no rules are in use (:meth:`block`), the file's version is the refused one, and
            the claim cannot be checked (the decision log is down).
            In every case the previous state stays (rules in use, or none) and the error is
            also kept in :attr:`last_error`.
        """
        target = Path(self._current.source) if path is None else Path(path)
        with self._lock:
            try:
                loaded = load_rules(target)
                served = self._served.get(loaded.version, loaded.sha256)
                if served != loaded.sha256:
                    raise VersionNotRaised(
                        f"{target}: the rules differ from those served as version "
                        f"'{loaded.version}'; {BUMP}"
                    )
                claimed = self._claim_once(loaded)
                refused = self._current
                if self._blocked is not None and not claimed and loaded.version == refused.version:
                    # The log is down: whether this content is the version's own cannot be
                    # told, and the file in use was refused under it.
                    raise RulesBlocked(
                        f"{target}: version '{loaded.version}' cannot be checked while the "
                        "decision log is down; this worker applies no rules until it can"
                    )
            except RulesError as exc:
                self._last_error = exc
                raise
            self._served[loaded.version] = loaded.sha256
            self._current = loaded
            self._last_error = None
            self._blocked = None
            # What the follower compares the file with: a change it had seen once before this
            # reload (and a return to the old content after it) is judged against this.
            self._looked_at, self._pending = loaded.sha256, None
            return loaded

    def follow(self) -> RuleSet | None:
        """Reload if the file's content changed and stayed so for one look; never raise.

        Returns
        -------
        RuleSet or None
            The newly active rule set, or ``None`` if nothing changed, the change is seen
            for the first time, or the new content was refused (logged once;
            :attr:`last_error` says why).
        """
        path = Path(self._current.source)
        try:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:  # gone or unreadable: reload() names the fault, once
            content = f"unreadable: {exc.strerror}"
        before = self._current
        self.claim_or_block()
        if content in (self._looked_at, before.sha256):  # unchanged, or reloaded already
            self._looked_at, self._pending = content, None
            return None
        if content != self._pending:
            # New content is loaded once a second look finds it unchanged: a file written
            # in place may be read half-written, and a prefix of a rules file is often a
            # valid one (whose version would then be claimed for it).
            self._pending = content
            return None
        self._looked_at, self._pending = content, None
        try:
            loaded = self.reload()
        except RulesError as exc:
            log.error("rules not reloaded, version %s stays in use: %s", before.version, exc)
            return None
        log.warning("now applying rules version %s (was %s)", loaded.version, before.version)
        return loaded

    def claim_or_block(self) -> None:
        """Claim the version in use for its content; apply no rules if it is another's.

        Called at startup and by :meth:`follow` (a claim the log could not take then is
        taken once it is back). A version claimed for other content, by another worker or
        an earlier run, is that content's: this worker then applies no rules (:meth:`block`,
        logged once) until a reload succeeds.
        """
        current = self._current
        if (current.version, current.sha256) in self._disputed:
            return
        try:
            # Not under the reload lock: the claim is a database call, which an admin reload
            # must not queue behind (claims are idempotent; the set it adds to is a cache).
            self._claim_once(current)
        except VersionNotRaised as exc:
            self.block(exc)
            log.error("no rules applied, scores refused until the file is fixed: %s", exc)

    def _claim_once(self, ruleset: RuleSet) -> bool:
        # Whether the version is claimed for this content (True with no claimer to ask).
        key = (ruleset.version, ruleset.sha256)
        if self._claim is None or key in self._claimed:
            return True
        if self._claim(ruleset):
            self._claimed.add(key)
            return True
        return False


def claimed_for_other_content(ruleset: RuleSet, *, since: str) -> VersionNotRaised:
    """Build the refusal of a file whose version was first served with other content.

    Parameters
    ----------
    ruleset : RuleSet
        The file refused.
    since : str
        When the version was first served (the claim's time).

    Returns
    -------
    VersionNotRaised
    """
    return VersionNotRaised(
        f"{ruleset.source}: version '{ruleset.version}' was first served on {since} with "
        f"other rules; {BUMP}"
    )

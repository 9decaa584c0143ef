"""Reading the registry history: human-readable lines, and rolling the champion back.

The history is append-only (``history.jsonl``). The champion's lineage is replayed from it:
every move of the alias to a new version pushes it, every rollback pops one, so two rollbacks
in a row go back two promotions rather than toggling between the last two versions. Setting the
alias to the version it already points at (re-running the gates on the serving champion) is
recorded but pushes nothing: otherwise the next rollback would "return" to that same version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from models.errors import ArtifactTampered, RegistryError
from models.registry import ModelRegistry

CHAMPION = "champion"


def alias_moves(history: list[dict[str, Any]], *, alias: str) -> Iterator[dict[str, Any]]:
    """Yield the history's moves of one alias (promotions and rollbacks), oldest first.

    Parameters
    ----------
    history : list of dict
        From :meth:`ModelRegistry.history`.
    alias : str

    Yields
    ------
    dict
    """
    return (e for e in history if e.get("event") == "alias" and e.get("alias") == alias)


def was_promoted(history: list[dict[str, Any]], version: int, *, alias: str) -> bool:
    """Whether the alias was ever moved to a version, a rollback to it included.

    Parameters
    ----------
    history : list of dict
        From :meth:`ModelRegistry.history`.
    version : int
    alias : str

    Returns
    -------
    bool
    """
    return any(e.get("version") == version for e in alias_moves(history, alias=alias))


def champion_lineage(history: list[dict[str, Any]], *, alias: str = CHAMPION) -> list[int]:
    """Replay the versions an alias has pointed at, oldest first, minus rolled-back ones.

    Parameters
    ----------
    history : list of dict
        From :meth:`ModelRegistry.history`.
    alias : str, default "champion"

    Returns
    -------
    list of int
        The last element is the version the alias points at now; no two neighbours are equal.
    """
    stack: list[int] = []
    for event in alias_moves(history, alias=alias):
        if event.get("action") == "rollback":
            if stack:
                stack.pop()
            if not stack or stack[-1] != event["version"]:
                stack.append(int(event["version"]))  # a lineage from before it was recorded
        elif not stack or stack[-1] != int(event["version"]):
            stack.append(int(event["version"]))
    return stack


def rollback_champion(
    registry: ModelRegistry,
    *,
    by: str = "",
    reason: str = "",
    alias: str = CHAMPION,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Point the alias back at the version it pointed at before the current one.

    Parameters
    ----------
    registry : ModelRegistry
    by, reason : str
        Recorded in the history.
    alias : str, default "champion"
    on_wait : callable, optional
        Told who holds the registry lock (e.g. a promotion running its gates) before the
        rollback waits for it; see :meth:`ModelRegistry.lock`.

    Returns
    -------
    tuple of int
        ``(from_version, to_version)``.

    Raises
    ------
    RegistryError
        There is no earlier version to return to.
    ArtifactTampered
        The earlier version's artifact is not the one recorded when the alias was moved to
        it (e.g. its directory was deleted and the number given to another model by a
        registry that reused numbers), or does not match its own metadata.
    models.ModelError
        The earlier version cannot be loaded (missing, other feature spec).
    """
    # Held from reading the lineage to recording the move: two rollbacks at once would both
    # pop the same promotion and go back one version, not two.
    with registry.lock(purpose=f"rollback of '{alias}'", on_wait=on_wait):
        current = registry.alias(alias)
        events = registry.history()
        lineage = champion_lineage(events, alias=alias)
        if current is None or len(lineage) < 2 or lineage[-1] != current:
            raise RegistryError(
                f"no earlier '{alias}' to roll back to in {registry.root} (current: "
                f"{current if current is not None else 'none'}; history: "
                f"{' -> '.join(map(str, lineage)) or 'no promotions'})"
            )
        # Neighbours in the lineage differ (champion_lineage), so this is not ``current``.
        target = lineage[-2]
        # Refuse to roll back onto a tampered or mismatched artifact, or onto another model
        # than the one that was put in front of screeners under this number.
        _, meta = registry.load_with_metadata(target)
        _check_same_artifact(events, target, meta.get("sha256"), alias=alias)
        registry.set_alias(
            alias,
            target,
            by=by,
            reason=reason,
            extra={"action": "rollback"},
            sha256=meta.get("sha256"),
        )
    return current, target


def _check_same_artifact(
    history: list[dict[str, Any]], version: int, sha256: object, *, alias: str
) -> None:
    moves = [e for e in alias_moves(history, alias=alias) if e.get("sha256")]
    recorded = next((e for e in reversed(moves) if e.get("version") == version), None)
    # Moves recorded before the digest was (no "sha256") are taken on trust, as before.
    if recorded is not None and recorded["sha256"] != sha256:
        raise ArtifactTampered(
            f"cannot roll back to version {version}: its artifact (SHA-256 {sha256!s:.12}…) is "
            f"not the one '{alias}' was set to on {recorded.get('set_at', '?')} (SHA-256 "
            f"{recorded['sha256']!s:.12}…), so it never passed the gates; promote a version "
            "through the gates instead (`hotline promote VERSION`)"
        )


def describe_event(event: dict[str, Any]) -> str:
    """Turn one history record into one readable line.

    Parameters
    ----------
    event : dict

    Returns
    -------
    str
    """
    kind = event.get("event")
    when = event.get("set_at") or event.get("at") or "?"
    who = f" by {event['by']}" if event.get("by") else ""
    why = f": {event['reason']}" if event.get("reason") else ""
    if kind == "alias":
        was = f" (was {event['previous']})" if event.get("previous") is not None else ""
        verb = "rolled back" if event.get("action") == "rollback" else "set"
        gates = event.get("gates")
        passed = (
            f" [gates {gates.get('passed', 0)} passed, {gates.get('skipped', 0)} skipped, "
            f"{gates.get('waived', 0)} waived]"
            if isinstance(gates, dict)
            else ""
        )
        target = f"{event.get('alias')} -> version {event.get('version')}"
        broken = event.get("replaced_broken_champion")
        replaced = (
            f" [replaced broken version {broken.get('version')}: {broken.get('error')}]"
            if isinstance(broken, dict)
            else ""
        )
        return f"{when}  {verb} {target}{was}{who}{why}{passed}{replaced}"
    if kind == "refused":
        failures = "; ".join(
            f"{f.get('gate')} ({f.get('detail')})" for f in event.get("failures", [])
        ) or "; ".join(map(str, event.get("failures", [])))
        return f"{when}  refused version {event.get('version')}{who}: {failures}"
    if kind == "waived":
        return (
            f"{when}  waived {event.get('gate')} for version {event.get('version')}{who}{why} "
            f"(measured {event.get('measured')}, limit {event.get('limit')})"
        )
    return f"{when}  {kind}: " + ", ".join(f"{k}={v}" for k, v in sorted(event.items()))

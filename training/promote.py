"""Promotion: run every gate, write the audit bundle, then move ``champion`` only if all pass.

The bundle goes into ``versions/<n>/audit/``: the fairness report (``audit.html``,
``audit.json``), the threshold-near analysis when it ran, ``gates.json`` and the model card
(``model_card.md``, ``model_card.html``). Every decision is appended to the registry history:
``refused`` (with each failure and by how much), ``waived`` (one per waived gate, with who and
why) and the alias move itself (``action: promote``); ``refused`` and ``promote`` name the policy
by its version and the SHA-256 of its file (``policy_sha256``, as in ``gates.json``).

The bundle in ``audit/`` of a version that was ever promoted is its promotion evidence and is
never rewritten: re-running its gates (e.g. under a stricter policy), refused or not, writes
the run's bundle into ``audit/runs/<UTC time>/`` instead, so the model card the service shows
never says "refused" about the model it serves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from models import FeatureSpecMismatch, ModelError, ModelRegistry, json_ready, was_promoted
from training.bundle import new_run_dir, write_bundle
from training.errors import ChampionBroken, PromotionRefused, WaiverInvalid
from training.gates import (
    Champion,
    ChampionUnavailable,
    GatePolicy,
    GateRun,
    gate_names,
    load_candidate,
    load_policy,
    run_gates,
)

CHAMPION = "champion"


@dataclass(frozen=True)
class Waiver:
    """A named person's decision to let a model past one failed gate.

    Attributes
    ----------
    gate : str
        A gate name, e.g. ``disparity.fnr``.
    by, reason : str
        Who waives it and why; both are required and recorded.
    """

    gate: str
    by: str
    reason: str


def promote_version(
    registry: ModelRegistry,
    version: int,
    *,
    by: str,
    reason: str,
    waivers: Sequence[Waiver] = (),
    policy: GatePolicy | None = None,
    on_wait: Callable[[str], None] | None = None,
    replace_broken_champion: bool = False,
) -> str:
    """Run every gate on a registered version and point ``champion`` at it if all pass.

    Parameters
    ----------
    registry : ModelRegistry
    version : int
    by, reason : str
        Recorded in the registry's history.
    waivers : sequence of Waiver
        Failed gates to let through; each is recorded with who and why.
    policy : GatePolicy, optional
        Defaults to the shipped ``training/gate_policy.yaml``.
    on_wait : callable, optional
        Told who holds the registry lock (another promotion or a rollback) before this one
        waits for it; see :meth:`models.ModelRegistry.lock`.
    replace_broken_champion : bool, default False
        The champion cannot be loaded (its artifact is missing or altered): skip the gates
        that compare with it and record, with ``by`` and ``reason`` (both required), that it
        was replaced as broken. Refused when the champion loads.

    Returns
    -------
    str
        What happened, one line per waiver plus a summary line.

    Raises
    ------
    PromotionRefused
        A gate failed and was not waived; nothing but the audit bundle and the history record
        were written. The message lists each failed gate and by how much.
    WaiverInvalid
        A waiver names an unknown gate or lacks who or why; or ``replace_broken_champion``
        lacks them, or there is no broken champion to replace.
    ChampionBroken
        The champion cannot be loaded (missing or altered artifact) and
        ``replace_broken_champion`` was not given. A champion built on an older feature
        spec, or one that predicts another label, raises nothing: only the gates that
        compare with it are skipped, and the report says why.
    models.ModelError
        The candidate's artifact, held-out rows, their features or its metadata are
        missing or changed since registration, or it was built on another feature spec; or
        the registry's history cannot take the decision (a line cut short by a crash).
        Nothing is run or written.
    """
    policy = policy or load_policy()
    known = gate_names(policy)
    for waiver in waivers:
        if waiver.gate not in known:
            raise WaiverInvalid(
                f"--waive '{waiver.gate}' is not a gate of policy {policy.version}; "
                f"gates: {', '.join(known)}"
            )
        if not waiver.by.strip() or not waiver.reason.strip():
            raise WaiverInvalid(
                f"waiving '{waiver.gate}' needs --by NAME and --reason TEXT (both recorded)"
            )
    if replace_broken_champion and (not by.strip() or not reason.strip()):
        raise WaiverInvalid(
            "--replace-broken-champion needs --by NAME and --reason TEXT (both recorded)"
        )
    # Held from reading the champion to moving the alias (the gates included): two
    # promotions at once would each be compared with the same old champion, and the later
    # one become champion without ever being compared with the earlier. The second waits and
    # is then compared with the first. Rollbacks wait too; the service only reads the alias.
    with registry.lock(purpose=f"promotion of version {version}", on_wait=on_wait):
        return _promote(
            registry,
            version,
            by=by,
            reason=reason,
            waivers=waivers,
            policy=policy,
            replace_broken=replace_broken_champion,
        )


def _promote(
    registry: ModelRegistry,
    version: int,
    *,
    by: str,
    reason: str,
    waivers: Sequence[Waiver],
    policy: GatePolicy,
    replace_broken: bool,
) -> str:
    # Before any gate runs: a decision the history cannot take (a line cut short by a crash)
    # would be made and then lost, or leave a bundle saying "promoted" with the alias unmoved.
    registry.check_history_appendable()
    history = registry.history()
    # Refuses a tampered or mismatched artifact, and any file recorded at registration that
    # is missing or changed (without the features five gates would merely "skip").
    candidate = load_candidate(registry, version)
    previous = registry.alias(CHAMPION)
    champion, broken = _champion(
        registry, previous, version=version, replace_broken=replace_broken, by=by, reason=reason
    )
    run = run_gates(candidate, champion=champion, policy=policy)
    by_gate = {w.gate: w for w in waivers}
    results = [
        r.waived(by=by_gate[r.name].by, reason=by_gate[r.name].reason)
        if r.status == "failed" and r.name in by_gate
        else r
        for r in run.results
    ]
    run = replace(run, results=results)
    failed = run.failed
    decision = "refused" if failed else "promoted"
    audit = registry.version_dir(version) / "audit"
    # A version that was promoted keeps the bundle of its promotion: what the service shows
    # about a model it may be serving. Any later run of its gates is kept beside it.
    kept = previous == version or was_promoted(history, version, alias=CHAMPION)
    out = new_run_dir(audit) if kept else audit
    write_bundle(out, candidate, run, policy=policy, decision=decision, champion=previous)
    at = _now()
    bundle = str(out.relative_to(registry.version_dir(version)))
    # A waiver for a gate that did not fail waives nothing: said (on refusal too), so nobody
    # believes a waiver is on record, and not recorded.
    unneeded = [
        f"not waived {r.name}: it {r.status}, so there is nothing to waive (not recorded)"
        for r in results
        if r.name in by_gate and r.status != "waived"
    ]
    if failed:
        registry.append_history(
            {
                "event": "refused",
                "version": version,
                "at": at,
                "by": by,
                "policy": policy.version,
                "policy_sha256": policy.sha256,
                "bundle": bundle,
                "failures": [_brief(r.to_dict()) for r in failed],
            }
        )
        kept_line = (
            (
                f"version {version} is still the champion; the bundle of its promotion, which "
                f"the service shows, stays in {audit}"
                if previous == version
                else f"the bundle of version {version}'s earlier promotion stays in {audit}"
            )
            if kept
            else None
        )
        raise PromotionRefused(
            _refusal(version, run, policy=policy, out=out, kept_line=kept_line, unneeded=unneeded)
        )
    lines = list(unneeded)
    for r in results:
        if r.status == "waived" and r.waiver is not None:
            registry.append_history(
                {
                    "event": "waived",
                    "version": version,
                    "gate": r.name,
                    "at": at,
                    **r.waiver,
                    **{k: v for k, v in _brief(r.to_dict()).items() if k != "gate"},
                }
            )
            lines.append(f"waived {r.name} ({r.detail}) by {r.waiver['by']}: {r.waiver['reason']}")
    counts = {s: sum(r.status == s for r in results) for s in ("passed", "skipped", "waived")}
    extra: dict[str, Any] = {
        "action": "promote",
        # The version string alone cannot tell a lenient file that reuses it from the real
        # one; the hash of its bytes (as in gates.json) can.
        "policy": policy.version,
        "policy_sha256": policy.sha256,
        "gates": counts,
        "bundle": bundle,
    }
    if broken is not None:
        extra["replaced_broken_champion"] = {"version": previous, "error": broken}
    registry.set_alias(
        CHAMPION,
        version,
        reason=reason,
        by=by,
        # The digest the gates' load checked, recorded with the move: a rollback to this
        # version later refuses an artifact put in its place.
        sha256=candidate.metadata.get("sha256"),
        extra=extra,
    )
    if previous == version:
        now = f"version {version} is still the champion (its gates were run again)"
    else:
        was = f" (was version {previous}" + (", broken" if broken else "") + ")"
        now = f"version {version} is now the champion{was if previous is not None else ''}"
    report = (
        f"fairness audit with {len(run.audit.flags)} flags in {out / 'audit.html'}"
        if run.audit is not None
        else f"fairness audit skipped: {run.audit_skipped}"
    )
    kept_note = (
        f"; the bundle of its earlier promotion, which the service shows, stays in {audit}"
        if kept
        else ""
    )
    lines.append(
        f"{now}; gates: {counts['passed']} passed, {counts['skipped']} skipped, "
        f"{counts['waived']} waived; {report}; model card in {out / 'model_card.html'}"
        f"{kept_note}"
    )
    return "\n".join(lines)


def _champion(
    registry: ModelRegistry,
    previous: int | None,
    *,
    version: int,
    replace_broken: bool,
    by: str,
    reason: str,
) -> tuple[Champion | ChampionUnavailable | None, str | None]:
    # The champion to compare with, and why it cannot be loaded when replaced as broken.
    if previous is None:
        if replace_broken:
            raise WaiverInvalid(
                "--replace-broken-champion: there is no champion to replace; promote version "
                f"{version} without it"
            )
        return None, None
    if previous == version:
        # The candidate loaded, so this champion is not broken.
        if replace_broken:
            raise WaiverInvalid(
                f"--replace-broken-champion: version {version} is the champion and loads; "
                "promote it without that option"
            )
        return None, None
    try:
        model = registry.load(previous)
    except FeatureSpecMismatch as exc:
        # After a feature-spec change the champion itself is refused on load; refusing the
        # promotion too would leave no way to replace it. Only the comparisons need it.
        return (
            ChampionUnavailable(version=previous, reason=str(exc)),
            str(exc) if replace_broken else None,
        )
    except ModelError as exc:
        # A missing or altered champion is for someone to look into, not a reason to skip
        # the comparisons meant to catch a worse model quietly; but refusing every candidate
        # left no way to replace it. The way out is named, and recorded when taken.
        if not replace_broken:
            raise ChampionBroken(
                f"the champion, version {previous}, is broken: {exc}. Version {version} was "
                f"not promoted (nothing was written). Restore version {previous}'s files, or "
                f"replace it: hotline promote {version} --replace-broken-champion --by NAME "
                "--reason TEXT (the comparisons with the champion are then skipped, and who "
                "and why recorded)"
            ) from exc
        return (
            ChampionUnavailable(
                version=previous,
                reason=f"{exc} (replaced as broken by {by}: {reason})",
            ),
            str(exc),
        )
    if replace_broken:
        raise WaiverInvalid(
            f"--replace-broken-champion: the champion, version {previous}, loads; promote "
            f"version {version} without that option, so it is compared with the champion"
        )
    return Champion(version=previous, model=model), None


def _refusal(
    version: int,
    run: GateRun,
    *,
    policy: GatePolicy,
    out: Path,
    kept_line: str | None,
    unneeded: list[str],
) -> str:
    failed = run.failed
    lines = [
        f"version {version} not promoted: {len(failed)} gate(s) failed "
        f"(policy {policy.version}, {policy.source})"
    ]
    lines += [f"  {r.name}: {r.detail}" for r in failed]
    lines += unneeded
    lines.append(f"audit bundle: {out}")
    if kept_line is not None:
        lines.append(kept_line)
    lines.append("to promote anyway, waive each failed gate: --waive GATE --by NAME --reason TEXT")
    return "\n".join(lines)


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    brief: dict[str, Any] = json_ready(
        {
            "gate": result["name"],
            "measured": result["measured"],
            "limit": result["limit"],
            "by_how_much": result["by"],
            "detail": result["detail"],
        }
    )
    return brief


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

"""Promotion: run every gate, write the audit bundle, then move ``champion`` only if all pass.

The bundle goes into ``versions/<n>/audit/``: the fairness report (``audit.html``,
``audit.json``), the threshold-near analysis when it ran, ``gates.json`` and the model card
(``model_card.md``, ``model_card.html``). Every decision is appended to the registry history:
``refused`` (with each failure and by how much), ``waived`` (one per waived gate, with who and
why) and the alias move itself (``action: promote``); ``refused`` and ``promote`` name the policy
by its version and the SHA-256 of its file (``policy_sha256``, as in ``gates.json``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fairness import write_audit, write_threshold_near
from models import FeatureSpecMismatch, ModelRegistry, json_ready
from training.errors import PromotionRefused, WaiverInvalid
from training.gates import (
    Candidate,
    Champion,
    ChampionUnavailable,
    GatePolicy,
    GateRun,
    gate_names,
    load_candidate,
    load_policy,
    run_gates,
)
from training.model_card import write_model_card
from training.provenance import file_name

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
        A waiver names an unknown gate or lacks who or why.
    models.ModelError
        The candidate's artifact is missing, tampered or built on another feature spec, or
        the champion's is missing or tampered. A champion built on an older feature spec, or
        one that predicts another label, raises nothing: only the gates that compare with it
        are skipped, and the report says why.
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
    # Held from reading the champion to moving the alias (the gates included): two
    # promotions at once would each be compared with the same old champion, and the later
    # one become champion without ever being compared with the earlier. The second waits and
    # is then compared with the first. Rollbacks wait too; the service only reads the alias.
    with registry.lock(purpose=f"promotion of version {version}", on_wait=on_wait):
        return _promote(registry, version, by=by, reason=reason, waivers=waivers, policy=policy)


def _promote(
    registry: ModelRegistry,
    version: int,
    *,
    by: str,
    reason: str,
    waivers: Sequence[Waiver],
    policy: GatePolicy,
) -> str:
    candidate = load_candidate(registry, version)  # refuses a tampered or mismatched artifact
    previous = registry.alias(CHAMPION)
    champion: Champion | ChampionUnavailable | None = None
    if previous is not None and previous != version:
        try:
            champion = Champion(version=previous, model=registry.load(previous))
        except FeatureSpecMismatch as exc:
            # After a feature-spec change the champion itself is refused on load; refusing the
            # promotion too would leave no way to replace it. Only the comparisons need it.
            # Any other failure (a tampered or missing artifact) still refuses the promotion:
            # it would otherwise skip the comparisons meant to catch a worse model.
            champion = ChampionUnavailable(version=previous, reason=str(exc))
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
    out = _write_bundle(
        registry, candidate, run, policy=policy, decision=decision, champion=previous
    )
    at = _now()
    if failed:
        registry.append_history(
            {
                "event": "refused",
                "version": version,
                "at": at,
                "by": by,
                "policy": policy.version,
                "policy_sha256": policy.sha256,
                "failures": [_brief(r.to_dict()) for r in failed],
            }
        )
        raise PromotionRefused(_refusal(version, run, policy=policy, out=out))
    lines = []
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
    registry.set_alias(
        CHAMPION,
        version,
        reason=reason,
        by=by,
        # The version string alone cannot tell a lenient file that reuses it from the real
        # one; the hash of its bytes (as in gates.json) can.
        extra={
            "action": "promote",
            "policy": policy.version,
            "policy_sha256": policy.sha256,
            "gates": counts,
        },
    )
    was = f" (was version {previous})" if previous is not None else ""
    audit = (
        f"fairness audit with {len(run.audit.flags)} flags in {out / 'audit.html'}"
        if run.audit is not None
        else f"fairness audit skipped: {run.audit_skipped}"
    )
    lines.append(
        f"version {version} is now the champion{was}; gates: {counts['passed']} passed, "
        f"{counts['skipped']} skipped, {counts['waived']} waived; {audit}; "
        f"model card in {out / 'model_card.html'}"
    )
    return "\n".join(lines)


def _refusal(version: int, run: GateRun, *, policy: GatePolicy, out: Path) -> str:
    failed = run.failed
    lines = [
        f"version {version} not promoted: {len(failed)} gate(s) failed "
        f"(policy {policy.version}, {policy.source})"
    ]
    lines += [f"  {r.name}: {r.detail}" for r in failed]
    lines.append(f"audit bundle: {out}")
    lines.append("to promote anyway, waive each failed gate: --waive GATE --by NAME --reason TEXT")
    return "\n".join(lines)


def _write_bundle(
    registry: ModelRegistry,
    candidate: Candidate,
    run: GateRun,
    *,
    policy: GatePolicy,
    decision: str,
    champion: int | None,
) -> Path:
    version = candidate.version
    out = registry.version_dir(version) / "audit"
    out.mkdir(parents=True, exist_ok=True)
    if run.audit is not None:
        write_audit(run.audit, out)
    else:
        # An audit left by an earlier run (e.g. under another policy) must not pass for this one.
        for stale in ("audit.html", "audit.json"):
            (out / stale).unlink(missing_ok=True)
    if run.threshold_near is not None:
        write_threshold_near(run.threshold_near, out)
    else:
        for stale in ("threshold_near.html", "threshold_near.json"):
            (out / stale).unlink(missing_ok=True)
    gates = {
        "version": version,
        "decision": decision,
        "decided_at": _now(),
        "champion_before": champion,
        "policy": {
            "version": policy.version,
            "name": policy.name,
            # By name and hash: the bundle is served over the API, where a full path would
            # show the server's directories; the hash identifies the file (the command
            # line's refusal still prints the full path to whoever ran it).
            "source": file_name(policy.source),
            "sha256": policy.sha256,
            "settings": policy.model_dump(mode="json"),
        },
        "gates": [r.to_dict() for r in run.results],
        "audit_skipped": run.audit_skipped,
    }
    (out / "gates.json").write_text(json.dumps(json_ready(gates), indent=2, sort_keys=True))
    write_model_card(
        out,
        metadata=candidate.metadata,  # read once, when the candidate was loaded
        run=run,
        policy=policy,
        decision=decision,
    )
    return out


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

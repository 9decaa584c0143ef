"""The audit bundle of a promotion run: where it is written, and writing it.

``versions/<n>/audit/`` holds the fairness report (``audit.html``, ``audit.json``), the
threshold-near analysis when it ran, ``gates.json`` and the model card. The service shows it
(``GET /v1/reports/models/<n>``). Once a version has been promoted, that bundle is the
evidence behind the model screeners saw, and it is never rewritten: every later run of the
version's gates (a stricter policy, say), refused or not, goes into
``audit/runs/<UTC time>/``. A refused re-run on the champion once rewrote it, and the card the
service showed said "refused" about the model it was serving.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

from fairness import write_audit, write_threshold_near
from models import json_ready
from training.gates import Candidate, GatePolicy, GateRun
from training.model_card import write_model_card
from training.provenance import file_name


def new_run_dir(audit: Path) -> Path:
    """Create ``audit/runs/<UTC time>/`` for one more run of a promoted version's gates.

    Parameters
    ----------
    audit : pathlib.Path
        The version's ``audit`` directory.

    Returns
    -------
    pathlib.Path
        A new, empty directory (``-2``, ``-3``... when runs fall in one second).
    """
    runs = audit / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count(1):
        out = runs / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            out.mkdir()
        except FileExistsError:
            continue
        return out
    raise AssertionError("unreachable")  # pragma: no cover


def write_bundle(
    out: Path,
    candidate: Candidate,
    run: GateRun,
    *,
    policy: GatePolicy,
    decision: str,
    champion: int | None,
) -> None:
    """Write the bundle of one run of the gates.

    Parameters
    ----------
    out : pathlib.Path
        ``audit/`` or a directory from :func:`new_run_dir`; created if absent. Reports of an
        earlier run that this one did not produce are removed from it.
    candidate : Candidate
    run : GateRun
    policy : GatePolicy
    decision : {"promoted", "refused"}
    champion : int or None
        The champion before this run.
    """
    version = candidate.version
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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

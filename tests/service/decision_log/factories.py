import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example(name: str = "referral.json") -> dict:
    return json.loads((EXAMPLES / name).read_text())


def screening(**overrides) -> dict:
    body = {
        "decision": "screened_out",
        "screener_risk": "moderate",
        "screener_safety": "no_threat",
        "screener_id": "scr-17",
        "unit": "unit-a",
        "referral_statuses": [{"service_id": "svc-035", "status": "made"}],
        "decided_at": "2026-03-02T10:00:00+00:00",
    }
    body.update(overrides)
    return body


# What the log says of a database a newer version migrated (revision 0099), one line.
NEWER = (
    "the database is at schema revision 0099, newer than this code (head 0004); run the "
    "version of the service that migrated it, or restore a backup taken before"
)

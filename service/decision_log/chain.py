"""The hash chain: canonical JSON of a record and the hash that links it to its predecessor."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

GENESIS: Final = "0" * 64
"""The ``prev_hash`` of the first record."""


def canonical_json(data: Any) -> str:
    """Serialize JSON data the one way the chain hashes it.

    Parameters
    ----------
    data : JSON-ready object

    Returns
    -------
    str
        Sorted keys, no whitespace, UTF-8 characters kept, NaN refused.
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def record_hash(
    *,
    seq: int,
    kind: str,
    decision_id: str | None,
    subject_key: str | None,
    dedupe_key: str | None,
    recorded_at: str,
    payload: Any,
    prev_hash: str,
) -> str:
    """Hash one record's content together with its predecessor's hash.

    Parameters
    ----------
    seq, kind, decision_id, subject_key, dedupe_key, recorded_at, prev_hash
        The record's columns.
    payload : JSON-ready object
        The record's content (parsed, so the hash does not depend on how it was stored).

    Returns
    -------
    str
        SHA-256, hexadecimal.
    """
    content = {
        "seq": seq,
        "kind": kind,
        "decision_id": decision_id,
        "subject_key": subject_key,
        "dedupe_key": dedupe_key,
        "recorded_at": recorded_at,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def record_hash_of_text(
    *,
    seq: int,
    kind: str,
    decision_id: str | None,
    subject_key: str | None,
    dedupe_key: str | None,
    recorded_at: str,
    payload_text: str,
    prev_hash: str,
) -> str:
    """Hash a record whose payload is already canonical JSON; equal to :func:`record_hash`.

    The writer holds the chain lock while it hashes, so it splices the stored text into the
    canonical JSON of the columns (keys in sorted order) instead of parsing and re-serializing
    a payload of several kilobytes.

    Parameters
    ----------
    seq, kind, decision_id, subject_key, dedupe_key, recorded_at, prev_hash
        The record's columns.
    payload_text : str
        ``canonical_json(payload)``.

    Returns
    -------
    str
        SHA-256, hexadecimal.
    """
    text = (
        f'{{"decision_id":{canonical_json(decision_id)},"dedupe_key":{canonical_json(dedupe_key)},'
        f'"kind":{canonical_json(kind)},"payload":{payload_text},'
        f'"prev_hash":{canonical_json(prev_hash)},"recorded_at":{canonical_json(recorded_at)},'
        f'"seq":{seq},"subject_key":{canonical_json(subject_key)}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()

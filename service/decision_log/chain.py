"""The hash chain: canonical JSON of a record and the hash that links it to its predecessor."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

import orjson

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
        orjson's output with sorted keys: no whitespace, UTF-8 characters kept, floats in
        their shortest round-trip form (``0.00001`` and ``1e+16``).

    Notes
    -----
    orjson, because a score record is ~9 KB and the standard library took ~210 us of the
    request's CPU to write it, orjson ~20 us. Records written by versions before orjson
    (2026-11-22) used
    :func:`canonical_json_v1`, which differs only in how some floats are written (``1e-05``);
    :mod:`~service.decision_log.verify` accepts either. orjson writes a non-finite float as
    ``null``; none reaches a record (the referral contract bounds every number, and
    :func:`~service.decision_log.repository.score_record` checks the model's features).
    """
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def canonical_json_v1(data: Any) -> str:
    """Serialize JSON data as versions before orjson (2026-11-22) hashed records.

    Parameters
    ----------
    data : JSON-ready object

    Returns
    -------
    str
        The standard library's sorted-key, whitespace-free form (NaN refused).
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
    head = hash_record_head(
        kind=kind, decision_id=decision_id, dedupe_key=dedupe_key, payload_text=payload_text
    )
    return finish_record_hash(
        head, seq=seq, subject_key=subject_key, recorded_at=recorded_at, prev_hash=prev_hash
    )


def hash_record_head(
    *, kind: str, decision_id: str | None, dedupe_key: str | None, payload_text: str
) -> hashlib._Hash:
    """Hash the part of a record known before its place in the chain.

    In canonical (sorted-key) order ``decision_id``, ``dedupe_key``, ``kind`` and ``payload``
    come before ``prev_hash``, ``recorded_at``, ``seq`` and ``subject_key``, so the kilobytes
    of payload can be hashed by the caller, before the writer takes the chain lock; the writer
    then only finishes a copy with :func:`finish_record_hash`.

    Parameters
    ----------
    kind, decision_id, dedupe_key : str or None
    payload_text : str
        ``canonical_json(payload)``.

    Returns
    -------
    hashlib sha256 object
        Not to be updated by the caller; :func:`finish_record_hash` works on a copy.
    """
    return gil_held_sha256(
        f'{{"decision_id":{canonical_json(decision_id)},"dedupe_key":{canonical_json(dedupe_key)},'
        f'"kind":{canonical_json(kind)},"payload":{payload_text},'.encode()
    )


_GIL_HELD_CHUNK: Final = 2047
"""hashlib releases the GIL for an update of 2,048 bytes or more (and for every later one)."""


def gil_held_sha256(data: bytes) -> hashlib._Hash:
    """SHA-256 of ``data``, fed in pieces small enough that hashlib keeps the GIL.

    The service hashes each ~9 KB record on its event loop. Released for the 10 us of
    hashing, the GIL goes to whichever thread wants it (the log writer) and the loop, with
    every request behind it, waits until that thread lets go. The digest is the same.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    hashlib sha256 object
    """
    digest = hashlib.sha256()
    view = memoryview(data).cast("B")  # pieces counted in bytes
    for start in range(0, len(view), _GIL_HELD_CHUNK):
        digest.update(view[start : start + _GIL_HELD_CHUNK])
    return digest


def finish_record_hash(
    head: hashlib._Hash, *, seq: int, subject_key: str | None, recorded_at: str, prev_hash: str
) -> str:
    """Finish the hash begun by :func:`hash_record_head` with the record's place in the chain.

    Parameters
    ----------
    head : hashlib sha256 object
        From :func:`hash_record_head` (left unchanged).
    seq, subject_key, recorded_at, prev_hash
        The remaining columns.

    Returns
    -------
    str
        SHA-256, hexadecimal; equal to :func:`record_hash` of the whole record.
    """
    digest = head.copy()
    digest.update(
        f'"prev_hash":{canonical_json(prev_hash)},"recorded_at":{canonical_json(recorded_at)},'
        f'"seq":{seq},"subject_key":{canonical_json(subject_key)}}}'.encode()
    )
    return digest.hexdigest()

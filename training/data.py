"""Reading synthetic or agency data (JSON Lines) into features and outcome columns.

Each line is ``{"referral": {...contract...}, "<outcome>": ..., ...}``: the referral is
validated against the contract and turned into features by :func:`models.build_feature_matrix`
(the same code that serves), outcomes are kept as columns. Lines are processed in parallel
chunks; the result does not depend on the number of workers.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from models import Referral, build_feature_matrix
from training.errors import TrainingDataError

OUTCOME_COLUMNS = (
    "screened_in",
    "removal_2y",
    "rereferral_6m",
    "rereferral_2y",
    "substantiated_rereport_2y",
    "latent_risk",
)
_MAX_REPORTED = 5


@dataclass
class TrainingData:
    """Features and per-row facts of a training file.

    Attributes
    ----------
    features : numpy.ndarray of shape (n, n_features)
    frame : pandas.DataFrame
        One row per referral: ``referral_id``, ``household_id``, ``received_at``, the audit
        columns ``race`` (sorted races of the children, ``|``-joined; ``unknown`` if none) and
        ``hispanic``, and whichever outcome columns the file has.
    sha256 : str
        Hash of the file's bytes, recorded with the model.
    source_path : pathlib.Path
        The file read.
    """

    features: npt.NDArray[np.float64]
    frame: pd.DataFrame
    sha256: str
    source_path: Path


def load_jsonl(
    path: Path,
    *,
    workers: int = 2,
    chunk_size: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> TrainingData:
    """Validate a JSON Lines file and build its features.

    Parameters
    ----------
    path : pathlib.Path
        One record per line, UTF-8 (a leading byte-order mark is ignored).
    workers : int, default 2
        Processes used to validate and build features.
    chunk_size : int, default 20000
        Lines per unit of parallel work.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of lines.

    Returns
    -------
    TrainingData

    Raises
    ------
    TrainingDataError
        The file is missing or empty, or any line is invalid (the first few are listed with
        their line numbers and fields).
    """
    if not path.is_file():
        raise TrainingDataError(f"data file {path} does not exist; create one with `hotline synth`")
    raw = path.read_bytes()
    # A byte-order mark (Windows editors and some exports write one) is not part of line 1's
    # JSON; the file's SHA-256 is still taken over its bytes as they are.
    lines = raw.removeprefix(codecs.BOM_UTF8).splitlines()
    if not lines:
        raise TrainingDataError(f"data file {path} is empty; expected one JSON record per line")
    chunks = [(i, lines[i : i + chunk_size]) for i in range(0, len(lines), chunk_size)]
    results: list[_ChunkResult] = []
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(_process_chunk, chunks):
                results.append(result)
                if progress is not None:
                    progress(sum(len(r.rows) for r in results), len(lines))
    else:
        for chunk in chunks:
            results.append(_process_chunk(chunk))
            if progress is not None:
                progress(sum(len(r.rows) for r in results), len(lines))
    errors = [e for r in results for e in r.errors]
    if errors:
        shown = "; ".join(errors[:_MAX_REPORTED])
        more = f" (and {len(errors) - _MAX_REPORTED} more)" if len(errors) > _MAX_REPORTED else ""
        raise TrainingDataError(f"{path}: {len(errors)} invalid lines: {shown}{more}")
    frame = pd.DataFrame([row for r in results for row in r.rows])
    features = np.vstack([r.features for r in results])
    return TrainingData(
        features=features,
        frame=frame,
        sha256=hashlib.sha256(raw).hexdigest(),
        source_path=path,
    )


@dataclass
class _ChunkResult:
    features: npt.NDArray[np.float64]
    rows: list[dict[str, Any]]
    errors: list[str]


class _Record(BaseModel):
    """One training line: the referral plus whichever outcome columns the file carries."""

    # Agency extracts may carry more columns than these; they are ignored, not refused.
    model_config = ConfigDict(extra="ignore")

    referral: Referral
    screened_in: bool | None = None
    removal_2y: bool | None = None
    rereferral_6m: bool | None = None
    rereferral_2y: bool | None = None
    substantiated_rereport_2y: bool | None = None
    latent_risk: float | None = None


def _process_chunk(chunk: tuple[int, list[bytes]]) -> _ChunkResult:
    start, lines = chunk
    referrals: list[Referral] = []
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for offset, line in enumerate(lines):
        lineno = start + offset + 1
        if not line.strip():
            errors.append(f"line {lineno}: empty line")
            continue
        try:
            # One pass in pydantic's JSON parser: about twice as fast as json.loads followed
            # by model_validate, which matters at a million lines.
            record = _Record.model_validate_json(line)
        except ValidationError as exc:
            errors.append(f"line {lineno}: {_describe(exc)}")
            continue
        referral = record.referral
        referrals.append(referral)
        races = sorted({r.value for c in referral.children for r in c.race})
        row: dict[str, Any] = {
            "referral_id": referral.referral_id,
            "household_id": referral.household_id,
            "received_at": referral.received_at.isoformat(),
            "race": "|".join(races) if races else "unknown",
            "hispanic": any(c.hispanic for c in referral.children),
        }
        for column in OUTCOME_COLUMNS:
            if column in record.model_fields_set:
                row[column] = getattr(record, column)
        rows.append(row)
    return _ChunkResult(features=build_feature_matrix(referrals), rows=rows, errors=errors)


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return f"not JSON ({first['ctx']['error']})"
    loc = [str(p) for p in first["loc"]]
    if loc[:1] == ["referral"] and len(loc) > 1:
        loc = loc[1:]  # name fields as the contract does
    return f"{'.'.join(loc) or 'line'}: {first['msg']}"

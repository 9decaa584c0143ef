"""Turning group columns into the views the audit reports on.

Multi-select rule (race is collected as check-boxes, never a single radio button):

* a cell may hold several values separated by ``|`` or ``;`` (``"black|white"``); values are
  stripped of spaces, de-duplicated and sorted, so ``"white; black"`` equals ``"black|white"``;
* **exclusive view** (named after the column, e.g. ``race``): a cell with one value keeps it;
  a cell with two or more values becomes its own group, ``multiracial`` (the label is an
  option); an empty cell becomes ``(missing)``. Every row is in exactly one group, so this view
  has an overall, a reference group and flags, and it is the one used for intersections;
* **any-mention view** (``race (any mention)``), added only when some cell holds several
  values: a row counts in every group it mentions, so ``black|white`` counts as black *and* as
  white. Groups overlap, which answers "how are all children recorded as Black treated?".

A cell may also be a list (a Parquet list column, read as an array per cell): its items are
the values, as ``"black|white"`` would give. Numbers are written as typed: a code column with
blanks is read as floats, and ``1.0`` is labelled ``1``, as it is without blanks.

**Recorded values.** ``(missing)`` (an empty cell) and ``unknown`` (any case: what this
project's training data writes when no race was recorded) are groups without a recorded value.
They are reported, but never the default reference group and never compared with it: a
reference made of everyone whose race nobody wrote down would hide the disparities between
the recorded groups. An intersection group is recorded when each of its parts is.

Intersections (``race & sex``) are built from the exclusive views when several columns are
given; their group labels join the parts with `` & ``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairness.errors import ColumnError
from fairness.io import require_columns

SEPARATORS: Final = re.compile(r"[|;]")
MISSING_LABEL: Final = "(missing)"
# Values that say no value was recorded (compared case-insensitively); see the module docstring.
NOT_RECORDED: Final = frozenset({MISSING_LABEL, "unknown"})
ANY_MENTION_SUFFIX: Final = " (any mention)"
INTERSECTION_JOIN: Final = " & "


@dataclass(frozen=True)
class GroupView:
    """One way of splitting rows into groups.

    Attributes
    ----------
    name : str
        Key used in the audit's output (``race``, ``race (any mention)``, ``race & sex``).
    labels : list of str
        Group labels; ``codes`` index into this list.
    rows : numpy.ndarray of int64
        Row numbers. For a partition this is ``arange(n)``; for an overlapping view a row
        appears once per group it belongs to.
    codes : numpy.ndarray of int64
        Group code of each entry of ``rows``.
    parts : list of tuple of str
        For intersections, the component labels of each group (for MetricFrame's
        multi-column ``sensitive_features``); otherwise one-element tuples.
    overlapping : bool
        True when a row may belong to several groups.
    """

    name: str
    labels: list[str]
    rows: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int64]
    parts: list[tuple[str, ...]]
    overlapping: bool = False


def split_cell(cell: object) -> tuple[str, ...]:
    """Split one multi-select cell into its sorted distinct values.

    Parameters
    ----------
    cell : object
        A cell of a group column: a string (values separated by ``|`` or ``;``), a number,
        a list or array of values (a Parquet list column), or missing.

    Returns
    -------
    tuple of str
        Sorted distinct values; empty when the cell is missing, blank or an empty list.
    """
    if isinstance(cell, list | tuple | np.ndarray):
        texts = [_text(item) for item in cell if not _is_missing(item)]
    elif _is_missing(cell):
        return ()
    else:
        texts = [_text(cell)]
    values = {v.strip() for text in texts for v in SEPARATORS.split(text)}
    return tuple(sorted(v for v in values if v))


def is_recorded(parts: tuple[str, ...]) -> bool:
    """Tell whether a group has a recorded value (every part of an intersection has one).

    Parameters
    ----------
    parts : tuple of str
        The group's component labels (:attr:`GroupView.parts`).

    Returns
    -------
    bool
        False when a part is ``(missing)`` or ``unknown`` (any case).
    """
    return not any(part.casefold() in NOT_RECORDED for part in parts)


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _text(value: object) -> str:
    """Write a value as the user typed it: an integral float (a code column with blanks) as 1."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _hashable_cells(series: pd.Series) -> pd.Series:
    """Turn list cells (a Parquet list column) into ``a|b`` strings that factorize can hash."""
    if series.dtype != object or not pd.api.types.infer_dtype(series, skipna=True).startswith(
        "mixed"
    ):
        return series
    # An empty list is a missing cell, as an empty string is.
    return series.map(
        lambda cell: (
            ("|".join(split_cell(cell)) or None)
            if isinstance(cell, list | tuple | np.ndarray)
            else cell
        )
    )


def build_views(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    multi_label: str = "multiracial",
    intersections: bool = True,
) -> list[GroupView]:
    """Build the exclusive, any-mention and intersection views for the group columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data (already filtered to the rows being audited).
    columns : list of str
        Group columns, in the order given.
    multi_label : str, default "multiracial"
        Exclusive-view label of a cell that holds several values.
    intersections : bool, default True
        Add the intersection of all columns when there are two or more.

    Returns
    -------
    list of GroupView
        Per column its exclusive view, then its any-mention view if it has multi-value
        cells; then the intersection.
    """
    require_columns(frame, columns, option="--group")
    n = len(frame)
    views: list[GroupView] = []
    exclusive: list[tuple[npt.NDArray[np.int64], list[str]]] = []
    for column in columns:
        try:
            cell_codes, uniques = pd.factorize(_hashable_cells(frame[column]), use_na_sentinel=True)
        except TypeError as exc:  # e.g. a cell holding a dict: "unhashable type: 'dict'"
            raise ColumnError(
                f"--group column '{column}' holds values that cannot be grouped ({exc}); "
                "accepted: text or numbers, several values separated by | or ;, or a list "
                "of values per cell"
            ) from exc
        parsed = [split_cell(u) for u in uniques]
        # Exclusive label per distinct cell string; the sentinel -1 (missing) maps to the end.
        cell_labels = [
            MISSING_LABEL if not p else (p[0] if len(p) == 1 else multi_label) for p in parsed
        ]
        labels = sorted(set(cell_labels) | ({MISSING_LABEL} if (cell_codes < 0).any() else set()))
        index = {label: i for i, label in enumerate(labels)}
        lookup = np.array([index[c] for c in cell_labels] + [index.get(MISSING_LABEL, -1)])
        codes = lookup[cell_codes].astype(np.int64)  # -1 indexes the appended missing entry
        exclusive.append((codes, labels))
        views.append(
            GroupView(column, labels, np.arange(n, dtype=np.int64), codes, [(g,) for g in labels])
        )
        if any(len(p) > 1 for p in parsed):
            views.append(_any_mention_view(column, cell_codes, parsed))
    if intersections and len(columns) > 1:
        views.append(_intersection_view(columns, exclusive))
    return views


def _any_mention_view(
    column: str, cell_codes: npt.NDArray[np.intp], parsed: list[tuple[str, ...]]
) -> GroupView:
    mentioned = sorted({v for p in parsed for v in p})
    has_missing = (cell_codes < 0).any() or any(not p for p in parsed)
    labels = mentioned + ([MISSING_LABEL] if has_missing else [])
    index = {label: i for i, label in enumerate(labels)}
    rows_parts: list[npt.NDArray[np.int64]] = []
    codes_parts: list[npt.NDArray[np.int64]] = []
    members = [tuple(index[v] for v in p) or (index[MISSING_LABEL],) for p in parsed]
    missing_rows = np.flatnonzero(cell_codes < 0)
    for cell, groups in enumerate(members):
        rows = np.flatnonzero(cell_codes == cell)
        for g in groups:
            rows_parts.append(rows)
            codes_parts.append(np.full(rows.size, g, dtype=np.int64))
    if missing_rows.size:
        rows_parts.append(missing_rows.astype(np.int64))
        codes_parts.append(np.full(missing_rows.size, index[MISSING_LABEL], dtype=np.int64))
    return GroupView(
        column + ANY_MENTION_SUFFIX,
        labels,
        np.concatenate(rows_parts).astype(np.int64),
        np.concatenate(codes_parts),
        [(g,) for g in labels],
        overlapping=True,
    )


def _intersection_view(
    columns: list[str], exclusive: list[tuple[npt.NDArray[np.int64], list[str]]]
) -> GroupView:
    combined = np.zeros(exclusive[0][0].size, dtype=np.int64)
    for codes, labels in exclusive:
        combined = combined * len(labels) + codes
    present, codes = np.unique(combined, return_inverse=True)
    parts: list[tuple[str, ...]] = []
    for key in present.tolist():
        part: list[str] = []
        for _, labels in reversed(exclusive):
            key, digit = divmod(key, len(labels))
            part.append(labels[digit])
        parts.append(tuple(reversed(part)))
    return GroupView(
        INTERSECTION_JOIN.join(columns),
        [INTERSECTION_JOIN.join(p) for p in parts],
        np.arange(combined.size, dtype=np.int64),
        codes.astype(np.int64),
        parts,
    )

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

from fairness.io import require_columns

SEPARATORS: Final = re.compile(r"[|;]")
MISSING_LABEL: Final = "(missing)"
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
        A cell of a group column (string, number or missing).

    Returns
    -------
    tuple of str
        Sorted distinct values; empty when the cell is missing or blank.
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA:
        return ()
    values = {v.strip() for v in SEPARATORS.split(str(cell))}
    return tuple(sorted(v for v in values if v))


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
        cell_codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
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

"""The held-out rows the outcome gates measure on: labelled ones, and one per household."""

from __future__ import annotations

import pandas as pd


def labelled_rows(holdout: pd.DataFrame, *, label: str) -> pd.DataFrame:
    """Return the rows whose label is observed, with the label as 0/1.

    Parameters
    ----------
    holdout : pandas.DataFrame
        Held-out referrals; the label is missing where it was never observed (screened out).
    label : str
        The label column.

    Returns
    -------
    pandas.DataFrame
        A new frame; ``holdout`` is left as it was.
    """
    rows = holdout[holdout[label].notna()].copy()
    rows[label] = rows[label].astype(int)
    return rows


def latest_per_household(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep each household's latest referral, by the instant it was received.

    Repeat referrals of one household are not independent evidence; intervals that treat
    them as such are too narrow and refuse fair models by chance.

    Parameters
    ----------
    rows : pandas.DataFrame
        Referrals, e.g. the labelled held-out rows. Without a ``household_id`` column they
        are returned as they are; without ``received_at``, the last row of each household
        in their order is kept.

    Returns
    -------
    pandas.DataFrame
    """
    if "household_id" not in rows.columns:
        return rows
    if "received_at" in rows.columns:
        # By the instant, not the text: '2026-03-01T23:00:00-08:00' is later than
        # '2026-03-02T01:00:00+00:00' though it sorts first as a string. Parsed in one
        # vectorized call (a quarter of a million held-out rows at 1M referrals).
        rows = rows.sort_values("received_at", kind="stable", key=_instant)
    else:
        rows = rows.sort_values("household_id", kind="stable")
    return rows.drop_duplicates("household_id", keep="last")


def _instant(received_at: pd.Series) -> pd.Series:
    return pd.to_datetime(received_at, utc=True, format="ISO8601")

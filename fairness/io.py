"""Reading an agency's CSV or Parquet file and checking the columns named on the command line.

The audit must work on files this project did not produce, so nothing here assumes our schema:
columns are looked up by the names the user gives, and every failure names the column and says
what would be accepted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairness.errors import ColumnError, DataFileError

_SUFFIXES_CSV = (".csv", ".csv.gz", ".txt", ".tsv")
_SUFFIXES_PARQUET = (".parquet", ".pq")
_TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t"})
_FALSE_WORDS = frozenset({"0", "false", "no", "n", "f"})


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` (optionally gzipped), ``.tsv`` or ``.parquet`` file.

    Returns
    -------
    pandas.DataFrame
        The file's rows, columns as named in the file.

    Raises
    ------
    DataFileError
        If the file does not exist, has another suffix, or cannot be parsed.
    """
    p = Path(path)
    name = p.name.lower()
    if not p.is_file():
        raise DataFileError(f"data file '{path}' does not exist; give a CSV or Parquet file")
    try:
        if name.endswith(_SUFFIXES_PARQUET):
            return pd.read_parquet(p)
        if name.endswith(_SUFFIXES_CSV):
            return pd.read_csv(p, sep="\t" if name.endswith(".tsv") else ",", low_memory=False)
    except (OSError, ValueError) as exc:
        # pandas and pyarrow raise many ValueError subclasses for malformed files; the first
        # line of their message is enough to locate the problem.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataFileError(f"data file '{path}' could not be read: {reason}") from exc
    raise DataFileError(
        f"data file '{path}' has an unknown format; accepted: .csv, .csv.gz, .tsv, .parquet"
    )


def require_columns(frame: pd.DataFrame, columns: list[str], *, option: str = "column") -> None:
    """Raise :class:`ColumnError` naming the first column that the frame lacks.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    columns : list of str
        Column names given by the user.
    option : str, default "column"
        The command-line option that named them, used in the message.
    """
    for column in columns:
        if column not in frame.columns:
            available = ", ".join(map(str, frame.columns[:20]))
            more = ", ..." if len(frame.columns) > 20 else ""
            raise ColumnError(
                f"{option} '{column}' is not a column of the data; columns are: {available}{more}"
            )


def numeric_column(frame: pd.DataFrame, column: str, *, option: str) -> npt.NDArray[np.float64]:
    """Return a column as float64, NaN where missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    column : str
        Column name.
    option : str
        The command-line option that named it, used in the message.

    Returns
    -------
    numpy.ndarray of float64

    Raises
    ------
    ColumnError
        If the column is absent or holds a value that is not a number.
    """
    require_columns(frame, [column], option=option)
    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    values: npt.NDArray[np.float64] = pd.to_numeric(series, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        example = series[bad].iloc[0]
        raise ColumnError(
            f"{option} column '{column}' must be numeric; found {_show(example)} in row "
            f"{int(np.flatnonzero(bad)[0])}; accepted: numbers, with empty cells for missing"
        )
    return values


def binary_column(frame: pd.DataFrame, column: str, *, option: str) -> npt.NDArray[np.float64]:
    """Return a 0/1 column as float64 (NaN where missing).

    Accepts numbers 0 and 1, booleans, and the words true/false, yes/no, y/n, t/f
    (any case).

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    column : str
        Column name.
    option : str
        The command-line option that named it, used in the message.

    Returns
    -------
    numpy.ndarray of float64
        Values in {0.0, 1.0, nan}.

    Raises
    ------
    ColumnError
        If the column is absent or holds any other value.
    """
    require_columns(frame, [column], option=option)
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), np.float64)
    else:
        words = series.astype("string").str.strip().str.lower()
        mapped = pd.Series(np.nan, index=series.index, dtype=np.float64)
        mapped[words.isin(_TRUE_WORDS).fillna(False).to_numpy(dtype=bool)] = 1.0
        mapped[words.isin(_FALSE_WORDS).fillna(False).to_numpy(dtype=bool)] = 0.0
        # A copy: under pandas' copy-on-write the array is a read-only view of the Series.
        values = mapped.to_numpy(dtype=np.float64, copy=True)
        unknown = np.isnan(values) & series.notna().to_numpy()
        if unknown.any():
            values[unknown] = -1.0  # reported below as an unacceptable value
    bad = ~np.isnan(values) & (values != 0.0) & (values != 1.0)
    if bad.any():
        example = series[bad].iloc[0]
        raise ColumnError(
            f"{option} column '{column}' must be binary; found {_show(example)}; "
            "accepted: 0/1, true/false, yes/no"
        )
    return values


def numeric_or_binary_column(
    frame: pd.DataFrame, column: str, *, option: str
) -> npt.NDArray[np.float64]:
    """Return a numeric column, or a column of yes/no words as 0/1, as float64.

    An outcome may be a count or a rate, or a yes/no column like those ``--label`` and
    ``--treatment`` accept; a text column whose every value is one of the binary words is
    read by :func:`binary_column`, anything else by :func:`numeric_column`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    column : str
        Column name.
    option : str
        The command-line option that named it, used in the message.

    Returns
    -------
    numpy.ndarray of float64
        NaN where missing.

    Raises
    ------
    ColumnError
        If the column is absent, or holds a value that is neither a number nor a binary word.
    """
    require_columns(frame, [column], option=option)
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return numeric_column(frame, column, option=option)
    is_word = series.astype("string").str.strip().str.lower().isin(_TRUE_WORDS | _FALSE_WORDS)
    is_word = is_word.fillna(False).to_numpy(dtype=bool)
    present = series.notna().to_numpy()
    if present.any() and is_word[present].all():
        return binary_column(frame, column, option=option)
    numbers = pd.to_numeric(series, errors="coerce")
    # The first cell that is neither a number nor a binary word (a mix of both is refused too,
    # by numeric_column below, naming a word).
    bad = numbers.isna().to_numpy() & present & ~is_word
    if bad.any():
        raise ColumnError(
            f"{option} column '{column}' must be numeric or binary; found "
            f"{_show(series[bad].iloc[0])} in row {int(np.flatnonzero(bad)[0])}; accepted: "
            "numbers, or 0/1, true/false, yes/no, with empty cells for missing"
        )
    return numeric_column(frame, column, option=option)


def _show(value: object) -> str:
    """Show a cell as the user would type it (``2``, ``'abc'``), not as ``np.int64(2)``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)

"""Exceptions raised by :mod:`fairness`.

Hierarchy::

    FairnessError
    ├── DataFileError          the data file is missing, unreadable or of an unknown format
    ├── ColumnError            a named column is absent or holds values we cannot use
    ├── OptionError            an option's value does not fit the data (e.g. unknown reference)
    └── AnalysisError          the data cannot support the analysis (e.g. too few rows)

Every message names the offending file, column or value and says what would be accepted, so
the command line can print it as one readable line.
"""

from __future__ import annotations


class FairnessError(Exception):
    """Base class of every error raised by :mod:`fairness`."""


class DataFileError(FairnessError, OSError):
    """The data file is missing, unreadable, or not CSV/Parquet."""


class ColumnError(FairnessError, ValueError):
    """A column named on the command line is absent or holds unusable values."""


class OptionError(FairnessError, ValueError):
    """An option's value is not acceptable for this data."""


class AnalysisError(FairnessError, ValueError):
    """The data cannot support the requested analysis."""


class TreatmentDoesNotVary(AnalysisError):
    """The fuzzy comparison's treatment does not jump at the cutoff; the sharp one may run."""

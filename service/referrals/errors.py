"""Exceptions raised by :mod:`service.referrals`.

Hierarchy::

    ReferralError
    ├── DirectoryError        a directory path cannot be read as HSDS at all
    └── TaxonomyConfigError   a taxonomy mapping file is malformed

Problems with single records are not exceptions: the loader reports them as
:class:`~service.referrals.hsds_schema.DirectoryProblem` and keeps the rest.
"""

from __future__ import annotations


class ReferralError(Exception):
    """Base class of every error raised by :mod:`service.referrals`."""


class DirectoryError(ReferralError, ValueError):
    """The directory as a whole cannot be read (missing path, unreadable descriptor)."""


class TaxonomyConfigError(ReferralError, ValueError):
    """A taxonomy mapping file is malformed or names an unknown need."""

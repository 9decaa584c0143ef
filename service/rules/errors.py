"""Exceptions raised by the rules engine.

Hierarchy::

    RulesError (ValueError)
    ├── RulesFileError     a rules file cannot be read or is invalid; names file, rule and problem
    ├── RuleInvalid        one fragment of a rule is invalid (the loader turns it into a
    │                      RulesFileError that names the file and the rule id)
    ├── VersionNotRaised   other rules under a version already served (or claimed)
    ├── RulesBlocked       the file in use was refused: no rules are in use
    ├── CasesError         a ``rules test`` cases file has a bad line
    └── FactInputError     evaluation was given inputs of the wrong shape (e.g. an unknown band)
"""

from __future__ import annotations


class RulesError(ValueError):
    """Base class of every error raised by :mod:`service.rules`."""


class RulesFileError(RulesError):
    """A rules file is unreadable or invalid; the message names the file, rule id and problem."""


class RuleInvalid(RulesError):
    """A fragment of one rule (condition, template, params) is invalid.

    The message says what is wrong and what is accepted, but not which file or rule: the
    loader adds those and re-raises as :class:`RulesFileError`.
    """


class VersionNotRaised(RulesError):
    """A reload read rules that differ from those already served under the same version.

    Decisions are logged with the rules version; two different rule sets under one version
    could not be told apart afterwards, so the file must raise its ``version`` first.
    """


class RulesBlocked(RulesError):
    """No rule set is in use: the file in use was refused.

    A worker started after its rules file was changed under a version already served (a
    respawn, while the others keep serving the version's own rules) applies no rules until
    the file is fixed; its scores are refused meanwhile (503) rather than the service stopped.
    """


class CasesError(RulesError):
    """A line of a cases file given to ``hotline rules test`` is not a valid case."""


class FactInputError(RulesError):
    """Evaluation was called with inputs that cannot be turned into facts."""

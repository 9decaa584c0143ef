"""Exceptions raised by the shared core.

Hierarchy::

    ModelError
    ├── ArtifactNotFound       no such version or alias in the registry
    ├── ArtifactTampered       the artifact's SHA-256 does not match its metadata
    ├── FeatureSpecMismatch    the artifact was trained on another feature spec
    └── RegistryError          the registry's files are malformed or a name is invalid
"""

from __future__ import annotations


class ModelError(Exception):
    """Base class of every error raised by :mod:`models`."""


class ArtifactNotFound(ModelError, LookupError):
    """A model version or alias does not exist in the registry."""


class ArtifactTampered(ModelError):
    """An artifact's bytes do not hash to the SHA-256 recorded when it was registered."""


class FeatureSpecMismatch(ModelError):
    """An artifact was trained on a feature spec other than the one this code builds."""


class RegistryError(ModelError, ValueError):
    """The registry is malformed, or a name given to it is not acceptable."""

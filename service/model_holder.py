"""The model the service is scoring with, swappable without a restart.

The holder follows an alias (``champion``): each worker's follower thread
(:mod:`service.follow`) calls :meth:`ModelHolder.refresh` every few seconds. Loading (hashing and
unpickling the artifact) happens in that thread, never on the event loop; the swap itself is
one reference assignment, atomic in CPython, so a request that has already read
:attr:`ModelHolder.current` finishes on the old model while new requests get the new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from models import ModelError, ModelRegistry, ScreeningModel
from service.errors import ModelUnavailable

log = logging.getLogger("hotline.service.models")


@dataclass(frozen=True)
class LoadedModel:
    """A model and the registry version it came from."""

    version: int
    model: ScreeningModel


class ModelHolder:
    """Holds the active model; a request reads it once and keeps that reference.

    Replacing the reference is atomic, so a request in flight finishes on the model it
    started with while new requests get the new one.

    Parameters
    ----------
    registry : ModelRegistry
    alias : str
        The alias to follow (``champion``).
    """

    def __init__(self, registry: ModelRegistry, *, alias: str) -> None:
        self.registry = registry
        self.alias = alias
        self._loaded: LoadedModel | None = None
        self.last_error: str | None = None
        # A version that failed to load is not retried until the alias moves again: hashing
        # a bad artifact every poll would only repeat the same log line.
        self._refused: int | None = None

    def load(self) -> LoadedModel | None:
        """Load the version the alias points at; keep the current one on failure.

        Returns
        -------
        LoadedModel or None
            What is active after the attempt.

        Raises
        ------
        models.ModelError
            The alias or the artifact is unreadable, tampered or built on another feature
            spec; the current model (if any) stays active.
        """
        version = self.registry.alias(self.alias)
        if version is None:
            self.last_error = (
                f"no model is promoted as '{self.alias}' in {self.registry.root}; "
                "build one with `hotline demo` (or `hotline train` then `hotline promote`)"
            )
            return self._loaded
        if self._loaded is not None and self._loaded.version == version:
            self.last_error, self._refused = None, None
            return self._loaded
        self._loaded = LoadedModel(version=version, model=self.registry.load(version))
        self.last_error = None
        self._refused = None
        return self._loaded

    def refresh(self) -> LoadedModel | None:
        """Follow the alias if it moved; never raise, so the poller keeps running.

        Returns
        -------
        LoadedModel or None
            What is active after the attempt.
        """
        before = self._loaded
        version: int | None = None
        try:
            version = self.registry.alias(self.alias)
            if version is not None and version == self._refused:
                return self._loaded
            loaded = self.load()
        except ModelError as exc:
            self._refused = version
            serving = self._loaded
            keep = f"; still serving version {serving.version}" if serving is not None else ""
            self.last_error = f"'{self.alias}' was not loaded: {exc}{keep}"
            log.error("model not loaded: %s%s", exc, keep)
            return self._loaded
        if loaded is not None and loaded is not before:
            was = f" (was version {before.version})" if before is not None else ""
            log.warning("now scoring with model version %s%s", loaded.version, was)
        return loaded

    @property
    def current(self) -> LoadedModel:
        """The active model.

        Raises
        ------
        ModelUnavailable
            Nothing is loaded; the message says how to build a model.
        """
        loaded = self._loaded
        if loaded is None:
            raise ModelUnavailable(self.last_error or "no model is loaded")
        return loaded

    @property
    def ready(self) -> bool:
        """Whether a model is loaded."""
        return self._loaded is not None

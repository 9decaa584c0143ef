"""The model the service is scoring with, swappable without a restart."""

from __future__ import annotations

from dataclasses import dataclass

from models import ModelRegistry, ScreeningModel
from service.errors import ModelUnavailable


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

    def load(self) -> LoadedModel | None:
        """Load the version the alias points at; keep the current one on failure.

        Returns
        -------
        LoadedModel or None
            What is active after the attempt.
        """
        version = self.registry.alias(self.alias)
        if version is None:
            self.last_error = (
                f"no model is promoted as '{self.alias}' in {self.registry.root}; "
                "build one with `hotline demo` (or `hotline train` then `hotline promote`)"
            )
            return self._loaded
        if self._loaded is not None and self._loaded.version == version:
            return self._loaded
        self._loaded = LoadedModel(version=version, model=self.registry.load(version))
        self.last_error = None
        return self._loaded

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

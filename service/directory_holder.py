"""The community-services directory the service matches against, swappable without a restart.

Like the rules and the model, the directory is followed: :meth:`DirectoryHolder.follow` runs
in the worker's follower thread (:mod:`service.follow`) and reloads when the directory's files
change, so every worker of every replica serves the directory on disk within two polls (a
change is loaded once a second look finds it unchanged).
A directory that cannot be read, or holds no active service, never replaces a good one.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from service.referrals import Directory, DirectoryError, DirectoryLoad, load_directory
from service.referrals.loader import source_files

log = logging.getLogger("hotline.service.directory")

Signature = tuple[tuple[str, int, int], ...]
"""What the directory's files look like on disk: name, size and modification time of each."""


@dataclass(frozen=True)
class DirectoryReload:
    """What became of a reload: why the new directory was refused, and its records' problems."""

    error: str | None
    problems: list[str] = field(default_factory=list)


class DirectoryHolder:
    """Holds the active directory; a request reads :attr:`current` once and keeps it.

    Parameters
    ----------
    path : pathlib.Path
        What ``HOTLINE_DIRECTORY_PATH`` names: a folder, a ``datapackage.json`` or JSON.
    loaded : DirectoryLoad
        The directory loaded at startup (the service refuses to start without a good one).
    """

    def __init__(self, path: Path, loaded: DirectoryLoad) -> None:
        self.path = path
        self._current = loaded.directory
        self._seen = signature(path)
        self._pending: Signature | None = None
        # Reloads are serialised (the follower thread and POST /v1/admin/reload); readers
        # need no lock because replacing one attribute reference is atomic.
        self._lock = threading.Lock()

    @property
    def current(self) -> Directory:
        """The directory in use."""
        return self._current

    def reload(self) -> DirectoryReload:
        """Read the directory again and swap it in; keep the current one if it is bad.

        Returns
        -------
        DirectoryReload
            Why the new one was refused (``None`` if it is in use) and what was wrong with
            its records, each also logged.
        """
        with self._lock:
            self._seen = signature(self.path)
            return self._reload()

    def follow(self) -> DirectoryReload | None:
        """Reload if the directory's files changed and stayed so for one look; never raise.

        Returns
        -------
        DirectoryReload or None
            ``None`` when nothing changed or the change is seen for the first time. A
            refused directory is not retried until its files change again: re-reading it
            every poll would only repeat the same log line.
        """
        with self._lock:
            now = signature(self.path)
            if now == self._seen:
                self._pending = None
                return None
            if now != self._pending:
                # Loaded once a second look finds the files as they were: a directory copied
                # file by file is not read half old, half new.
                self._pending = now
                return None
            self._seen, self._pending = now, None
            outcome = self._reload()
        if outcome.error is None:
            log.warning("directory reloaded: %d active services", self._current.active_count)
        return outcome

    def _reload(self) -> DirectoryReload:
        try:
            loaded = load_directory(self.path)
        except DirectoryError as exc:
            log.error("directory not reloaded, the previous one stays in use: %s", exc)
            return DirectoryReload(error=str(exc))
        problems = [str(problem) for problem in loaded.problems]
        for problem in problems:
            log.warning("directory: %s", problem)
        if not loaded.directory.active_count:
            # A folder missing its datapackage.json, or every service closed: keep serving.
            first = f": {loaded.problems[0].message}" if loaded.problems else ""
            error = f"{self.path} holds no active service{first}"
            log.error("directory not reloaded, the previous one stays in use: %s", error)
            return DirectoryReload(error=error, problems=problems)
        self._current = loaded.directory
        # As at startup: what lives as long as the process is kept out of the collector's full
        # passes (a 10,000-service directory made each one take ~70 ms instead of 0.1).
        gc.collect()
        gc.freeze()
        return DirectoryReload(error=None, problems=problems)


def signature(path: Path) -> Signature:
    """Describe the files a directory is read from, cheaply enough to check every poll.

    Parameters
    ----------
    path : pathlib.Path
        What ``HOTLINE_DIRECTORY_PATH`` names.

    Returns
    -------
    Signature
        Name, size and modification time (ns) of each file :func:`load_directory` reads
        (size and time -1 for one that does not exist); only those, so a log file written
        beside a JSON directory does not reload it.
    """
    described = []
    for file in source_files(path):
        try:
            stat = file.stat()
            described.append((str(file), stat.st_size, stat.st_mtime_ns))
        except OSError:  # missing (or going): its appearing is a change
            described.append((str(file), -1, -1))
    return tuple(described)

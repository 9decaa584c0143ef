"""A file-system model registry: immutable numbered versions and movable aliases.

Layout (after MLflow's file store)::

    <root>/versions/<n>/model.joblib     the pickled ScreeningModel, never rewritten
    <root>/versions/<n>/metadata.json    feature-spec hash, data hash, seed, metrics, sha256...
    <root>/versions/<n>/...              anything else training or the audit writes there
    <root>/aliases/<name>.json           {"version": n, "set_at": ...}, replaced atomically
    <root>/history.jsonl                 every alias move, appended
    <root>/last_version                  the highest number ever given, so none is given twice
    <root>/.lock                         flock(2) held while an alias moves (see ModelRegistry.lock)

The SHA-256 of each artifact is recorded when it is registered and checked before it is
unpickled: a tampered or swapped file is refused, never loaded. The digests of the other files
written with it (``files`` in its metadata) and of the metadata itself (``metadata_sha256``) are
recorded too; :meth:`ModelRegistry.verify_files` checks them for whoever reads more than the
model (the promotion gates). Each alias move records the artifact's SHA-256, so a rollback can
tell the version that was promoted from a file put in its place later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import joblib

from models.artifact import ScreeningModel
from models.errors import ArtifactNotFound, ArtifactTampered, FeatureSpecMismatch, RegistryError
from models.features import feature_spec_hash
from models.history_log import (
    append_record,
    as_version,
    check_appendable,
    read_records,
    recorded_versions,
)
from models.integrity import (
    FILES,
    METADATA_DIGEST,
    check_file_name,
    check_recorded_files,
    metadata_digest,
    sha256_file,
)
from models.json_ready import json_ready

ARTIFACT = "model.joblib"
METADATA = "metadata.json"
HISTORY = "history.jsonl"
LAST_VERSION = "last_version"
LOCK = ".lock"
_ALIAS_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class ModelRegistry:
    """Numbered, immutable model versions plus movable aliases such as ``champion``.

    Parameters
    ----------
    root : str or pathlib.Path
        Directory holding the registry; created on first write.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        # lock() is reentrant within one thread of this instance (a rollback holds it around
        # set_alias); other threads wait on the mutex, other processes and instances on flock.
        self._mutex = threading.RLock()
        self._lock_depth = 0
        self._lock_file: IO[bytes] | None = None

    # -- versions -------------------------------------------------------------------------
    def register(
        self,
        model: ScreeningModel,
        *,
        metadata: dict[str, Any],
        files: Mapping[str, Callable[[Path], object]] | None = None,
    ) -> int:
        """Store a model as the next version number.

        Parameters
        ----------
        model : ScreeningModel
        metadata : dict
            JSON-serializable facts about the model (metrics, label, seed, data hash...).
            ``version``, ``sha256``, ``feature_spec_hash``, ``registered_at``, ``files`` and
            ``metadata_sha256`` are added.
        files : mapping of str to callable, optional
            More files of the version (e.g. its held-out rows): name -> a function writing
            that path. They are written before the version appears, so a version is either
            complete or absent; if any write fails nothing is registered. The SHA-256 of each
            (and of the artifact) is recorded as ``files`` in the metadata, and the metadata's
            own as ``metadata_sha256``: see :meth:`verify_files`.

        Returns
        -------
        int
            The new version number: one above every number the registry has ever given or
            recorded (see :meth:`next_version`), so a deleted version's number is never
            given to another model.

        Raises
        ------
        RegistryError
            ``metadata`` holds something JSON cannot (e.g. an object of another type); NaN
            and infinities are written as ``null``.
        """
        versions_dir = self.root / "versions"
        versions_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=versions_dir))
        try:
            # mkdtemp makes it 0700: the service reading the version may run as another user.
            staging.chmod(0o755)
            joblib.dump(model, staging / ARTIFACT)
            for name, write in (files or {}).items():
                check_file_name(name, reserved=(ARTIFACT, METADATA))
                write(staging / name)
            # NaN (an AUC on one class) and numpy scalars as JSON can hold them: a NaN
            # written raw made metadata.json invalid JSON for every other reader.
            meta: dict[str, Any] = json_ready(dict(metadata))
            digests = {name: sha256_file(staging / name) for name in (ARTIFACT, *(files or {}))}
            meta.update(
                sha256=digests[ARTIFACT],
                feature_spec_hash=model.feature_spec_hash,
                registered_at=_now(),
            )
            meta[FILES] = digests
            # Claim the next number by an atomic rename; a concurrent writer that loses the
            # race simply tries the following number.
            at_least = 0
            while True:
                version = max(self.next_version(), at_least)
                at_least = version + 1
                meta["version"] = version
                try:
                    meta[METADATA_DIGEST] = metadata_digest(meta)
                    text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False)
                except (TypeError, ValueError) as exc:
                    raise RegistryError(f"the metadata cannot be written as JSON: {exc}") from exc
                (staging / METADATA).write_text(text)
                try:
                    os.rename(staging, versions_dir / str(version))
                except FileExistsError:
                    continue
                except OSError as exc:
                    if (versions_dir / str(version)).exists():
                        continue  # the same race, reported as ENOTEMPTY
                    raise exc
                self._record_last_version(version)
                return version
        except BaseException:
            # A disk that filled up, an interruption: no half-written version is left behind.
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def next_version(self) -> int:
        """Return the number the next registered version gets.

        One above the highest number the registry has ever given or recorded: the version
        directories, ``last_version``, every version and previous version named in the
        history, and every alias. Deleting ``versions/3`` must not let a newly trained,
        never-gated model become "version 3", the number a rollback or a decision log
        already means another model by.

        Returns
        -------
        int
        """
        numbers = set(self.versions())
        with contextlib.suppress(OSError, ValueError):
            numbers.add(int((self.root / LAST_VERSION).read_text().strip()))
        numbers.update(self._recorded_versions())
        return max(numbers, default=0) + 1

    def _recorded_versions(self) -> set[int]:
        found = recorded_versions(self.root / HISTORY)
        aliases = self.root / "aliases"
        for alias_file in aliases.glob("*.json") if aliases.is_dir() else []:
            try:
                record = json.loads(alias_file.read_bytes())
            except (OSError, ValueError):
                continue
            if isinstance(record, dict):
                found.add(as_version(record.get("version")))
        return found

    def _record_last_version(self, version: int) -> None:
        # The version is registered by now: a counter that cannot be written must not make
        # it look failed. Its number stays claimed by its directory and, once promoted or
        # refused, by the history.
        path = self.root / LAST_VERSION
        with contextlib.suppress(OSError, ValueError):
            version = max(version, int(path.read_text().strip()))
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".last_version-", dir=self.root)
            with os.fdopen(fd, "w") as fh:
                os.fchmod(fh.fileno(), 0o644)
                fh.write(f"{version}\n")
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def versions(self) -> list[int]:
        """List registered version numbers in ascending order.

        Returns
        -------
        list of int
        """
        versions_dir = self.root / "versions"
        if not versions_dir.is_dir():
            return []
        return sorted(int(p.name) for p in versions_dir.iterdir() if p.name.isdigit())

    def version_dir(self, version: int) -> Path:
        """Return the directory of a registered version.

        Parameters
        ----------
        version : int

        Returns
        -------
        pathlib.Path
        """
        path = self.root / "versions" / str(version)
        if (path / METADATA).is_file():
            return path
        if path.is_dir():
            # Listed by versions() (its name is a number), so "not in the registry" would
            # contradict the list of registered versions printed with it.
            raise ArtifactNotFound(f"model version {version} has no {METADATA} in {path}")
        known = ", ".join(map(str, self.versions())) or "none"
        raise ArtifactNotFound(
            f"model version {version} is not in the registry at {self.root} "
            f"(registered versions: {known})"
        )

    def metadata(self, version: int) -> dict[str, Any]:
        """Read a version's metadata.

        Parameters
        ----------
        version : int

        Returns
        -------
        dict

        Raises
        ------
        ArtifactNotFound
            No such version, or its directory has no ``metadata.json``.
        RegistryError
            The file is not a JSON object.
        """
        path = self.version_dir(version) / METADATA
        try:
            # Bytes: JSON is UTF-8 whatever the locale, and json detects it (a BOM included).
            data = json.loads(path.read_bytes())
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{path} is not valid JSON: {exc.msg}") from exc
        except UnicodeDecodeError as exc:
            # A hand edit saved in another encoding: named like bad JSON, so that `models
            # list` marks this version and goes on, instead of stopping at it.
            raise RegistryError(
                f"{path} is not valid JSON: byte {exc.start} is not UTF-8 ({exc.reason})"
            ) from exc
        if not isinstance(data, dict):
            raise RegistryError(f"{path} holds a JSON {type(data).__name__}, not an object")
        return data

    def load(self, version: int) -> ScreeningModel:
        """Load a version after checking its SHA-256 and feature spec.

        Parameters
        ----------
        version : int

        Returns
        -------
        ScreeningModel

        Raises
        ------
        ArtifactTampered
            The artifact's bytes do not match the recorded SHA-256.
        FeatureSpecMismatch
            The model was trained on a different feature spec than this code builds.
        """
        model, _ = self.load_with_metadata(version)
        return model

    def load_with_metadata(self, version: int) -> tuple[ScreeningModel, dict[str, Any]]:
        """Load a version as :meth:`load` does, with the metadata its checks were made on.

        For a caller that needs both (a promotion reads the label and writes the model card
        from it): ``metadata.json`` is read once, and what the caller reads is what the
        SHA-256 and feature spec were checked against.

        Parameters
        ----------
        version : int

        Returns
        -------
        ScreeningModel
        dict
            The version's metadata, as :meth:`metadata` returns it.

        Raises
        ------
        ArtifactTampered
            The artifact's bytes do not match the recorded SHA-256.
        FeatureSpecMismatch
            The model was trained on a different feature spec than this code builds.
        """
        meta = self.metadata(version)
        path = self.version_dir(version) / ARTIFACT
        if not path.is_file():
            raise ArtifactNotFound(f"model version {version} has no artifact at {path}")
        actual = sha256_file(path)
        if actual != meta.get("sha256"):
            raise ArtifactTampered(
                f"model version {version}: {path} has SHA-256 {actual[:12]}…, but "
                f"{meta.get('sha256', 'nothing')!s:.12}… was recorded; refusing to load it"
            )
        expected_spec = feature_spec_hash()
        if meta.get("feature_spec_hash") != expected_spec:
            raise FeatureSpecMismatch(
                f"model version {version} was trained on feature spec "
                f"{meta.get('feature_spec_hash')!s:.12}…, but this code builds "
                f"{expected_spec[:12]}…; retrain it with `hotline train`"
            )
        model = joblib.load(path)
        if not isinstance(model, ScreeningModel):
            raise RegistryError(f"{path} does not hold a ScreeningModel")
        return model, meta

    def verify_files(self, version: int, *, metadata: Mapping[str, Any] | None = None) -> None:
        """Check every file recorded at registration, and the metadata, against their SHA-256.

        :meth:`load` checks only the artifact; the promotion gates also measure on the
        held-out rows and their features and read the label from the metadata. A deleted
        features file made five gates "skip" and the model pass. A version registered before
        these digests were recorded (no ``files`` in its metadata) is not checked.

        Parameters
        ----------
        version : int
        metadata : mapping, optional
            The version's metadata as the caller already read it (e.g. from
            :meth:`load_with_metadata`), so what is checked is what the caller uses; read
            from ``metadata.json`` when not given.

        Raises
        ------
        ArtifactNotFound
            A recorded file is missing.
        ArtifactTampered
            A recorded file's bytes, or the metadata, changed after registration.
        RegistryError
            The record itself is malformed.
        """
        meta = self.metadata(version) if metadata is None else metadata
        directory = self.version_dir(version)
        check_recorded_files(directory, meta, version=version, metadata_path=directory / METADATA)

    # -- aliases --------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(
        self, *, purpose: str = "an alias move", on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the registry's write lock: one promotion, rollback or alias move at a time.

        An alias move reads the alias, replaces its file and appends to the history. Two
        promotions interleaving those steps left the alias on one version and the history's
        last move on the other, so the lineage no longer ended at the champion and every
        rollback was refused. The lock is ``flock`` on ``<root>/.lock``, so it serializes
        processes too (on a local disk or NFSv4; not every network file system honours it);
        it is released when the holder exits or dies. Reentrant within one thread of one
        instance.

        Parameters
        ----------
        purpose : str
            What the holder does, written into the lock file for whoever waits for it.
        on_wait : callable, optional
            Called once with the holder's description (pid, purpose, since when) when the
            lock is held elsewhere, before waiting: a command says why it is not returning.

        Yields
        ------
        None

        Raises
        ------
        RegistryError
            The registry's directory does not exist (it is not created for a lock), or the
            lock file cannot be opened.
        """
        import fcntl  # POSIX only: imported here so the rest of the registry loads anywhere

        with self._mutex:
            if self._lock_depth == 0:
                if not self.root.is_dir():
                    raise RegistryError(f"no model registry at {self.root}")
                try:
                    fh = (self.root / LOCK).open("a+b")
                except OSError as exc:
                    raise RegistryError(
                        f"the registry lock {self.root / LOCK} cannot be opened: "
                        f"{exc.strerror or exc}"
                    ) from exc
                try:
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        if on_wait is not None:
                            fh.seek(0)
                            on_wait(fh.read().decode("utf-8", "replace").strip() or "unknown")
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                    fh.truncate(0)
                    fh.write(f"pid {os.getpid()}: {purpose}, since {_now()}\n".encode())
                    fh.flush()
                except BaseException:
                    fh.close()
                    raise
                self._lock_file = fh
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_file is not None:
                    self._lock_file.close()  # closing the file releases the flock
                    self._lock_file = None

    def set_alias(
        self,
        name: str,
        version: int,
        *,
        reason: str = "",
        by: str = "",
        extra: dict[str, Any] | None = None,
        sha256: str | None = None,
    ) -> None:
        """Point an alias at a version, atomically, and append the move to the history.

        Parameters
        ----------
        name : str
            Lower-case alias such as ``champion``.
        version : int
            A registered version.
        reason, by : str
            Recorded in the history.
        extra : dict, optional
            More facts for the history record (e.g. ``{"action": "rollback"}``).
        sha256 : str, optional
            The artifact's SHA-256 as the caller checked it (a promotion, from the metadata
            its gates measured), recorded with the move; read from the metadata when not
            given. A rollback compares it with the version's artifact then.

        Raises
        ------
        RegistryError
            The history's last line was cut short (see :meth:`check_history_appendable`):
            the alias is not moved.
        """
        _check_alias(name)
        self.version_dir(version)
        if sha256 is None:
            sha256 = self.metadata(version).get("sha256")
        with self.lock():
            # Before the alias moves: a move the history cannot record is not made.
            self.check_history_appendable()
            # Under the lock, so ``previous`` is the version this move replaces and the
            # history records the moves in the order the alias file saw them.
            previous = self.alias(name)
            aliases = self.root / "aliases"
            aliases.mkdir(parents=True, exist_ok=True)
            record = {"alias": name, "version": version, "set_at": _now()}
            fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=aliases)
            with os.fdopen(fd, "w") as fh:
                # mkstemp makes it 0600: the service following the alias may run as another
                # user (as for version directories).
                os.fchmod(fh.fileno(), 0o644)
                json.dump(record, fh)
            os.replace(tmp, aliases / f"{name}.json")
            self.append_history(
                {
                    **(extra or {}),
                    "event": "alias",
                    **record,
                    "previous": previous,
                    "sha256": sha256,
                    "reason": reason,
                    "by": by,
                }
            )

    def alias(self, name: str) -> int | None:
        """Return the version an alias points at, or None when it is not set.

        Parameters
        ----------
        name : str

        Returns
        -------
        int or None
        """
        _check_alias(name)
        path = self.root / "aliases" / f"{name}.json"
        if not path.is_file():
            return None
        try:
            text = path.read_text()
        except OSError as exc:
            # E.g. a 0600 file written by an earlier version, read by a service running as
            # another user: a ModelError, which the service reports and keeps polling past.
            raise RegistryError(
                f"alias file {path} cannot be read: {exc.strerror or exc}; it must be "
                "readable by the user that serves or promotes models"
            ) from exc
        try:
            return int(json.loads(text)["version"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"alias file {path} is malformed: {exc}") from exc

    def resolve(self, ref: str | int) -> int:
        """Turn ``"champion"``, ``"3"``, ``"v3"`` or ``3`` into a version number.

        Parameters
        ----------
        ref : str or int

        Returns
        -------
        int
        """
        if isinstance(ref, int):
            self.version_dir(ref)
            return ref
        text = ref.strip()
        digits = text[1:] if text[:1] in "vV" else text
        if digits.isdigit():
            version = int(digits)
            self.version_dir(version)
            return version
        version_or_none = self.alias(text)
        if version_or_none is None:
            raise ArtifactNotFound(
                f"'{ref}' is neither a version number nor a set alias in {self.root}; "
                "run `hotline models list` to see what exists"
            )
        return version_or_none

    def append_history(self, record: dict[str, Any]) -> None:
        """Append one event to ``history.jsonl``, and flush it to the disk.

        Parameters
        ----------
        record : dict
            JSON-serializable; NaN and infinities are written as ``null``.

        Raises
        ------
        RegistryError
            The last line was cut short (see :meth:`check_history_appendable`); nothing is
            written.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        append_record(self.root / HISTORY, record)

    def check_history_appendable(self) -> None:
        """Refuse when ``history.jsonl`` does not end with a newline.

        A crash in the middle of an append leaves its record cut short; the next append
        would continue that line, and both records would be lost to every reader (``models
        history``, and the lineage a rollback replays). The line is named instead, for
        someone to repair: an automatic repair could not tell which record it was.

        Raises
        ------
        RegistryError
            Naming the file and the line.
        """
        check_appendable(self.root / HISTORY)

    def history(self) -> list[dict[str, Any]]:
        """Read every recorded event, oldest first.

        Returns
        -------
        list of dict

        Raises
        ------
        RegistryError
            A line is not a JSON object (e.g. cut short by a crash): named, with its number,
            since the champion's lineage (and so a rollback) is replayed from every line.
        """
        return read_records(self.root / HISTORY)


def _check_alias(name: str) -> None:
    if not _ALIAS_NAME.match(name):
        raise RegistryError(
            f"alias '{name}' is not acceptable: use 1-32 lower-case letters, digits, '-' or '_', "
            "starting with a letter"
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

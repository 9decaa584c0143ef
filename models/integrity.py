"""SHA-256 digests of a version's files and metadata, and checking them.

The artifact's digest is checked before it is unpickled (:meth:`models.ModelRegistry.load`);
the other files written at registration (held-out rows, their features) and the metadata are
recorded too, and :func:`check_recorded_files` holds a version to them for whoever reads more
than the model (the promotion gates).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.errors import ArtifactNotFound, ArtifactTampered, RegistryError

METADATA_DIGEST = "metadata_sha256"
"""The metadata key holding the digest of the rest of the metadata."""
FILES = "files"
"""The metadata key mapping each file written at registration to its SHA-256."""


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def metadata_digest(metadata: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a version's metadata, without the key that records it.

    Over the canonical JSON (sorted keys, no spaces) of its content, so a re-indented file
    still matches and a changed value (e.g. the ``label`` the gates measure) does not.

    Parameters
    ----------
    metadata : mapping
        As stored in ``metadata.json``.

    Returns
    -------
    str

    Raises
    ------
    TypeError, ValueError
        The metadata holds something JSON cannot (an object of another type, NaN).
    """
    content = {k: v for k, v in metadata.items() if k != METADATA_DIGEST}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_file_name(name: str, *, reserved: tuple[str, ...] = ()) -> None:
    """Refuse a name that is not a plain file name of a version's directory.

    Parameters
    ----------
    name : str
    reserved : tuple of str
        Names the registry writes itself.

    Raises
    ------
    RegistryError
    """
    # A version's files sit directly in its directory: a name with a separator (from a
    # hand-edited metadata.json, say) must not reach outside it.
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise RegistryError(
            f"'{name}' is not acceptable as a file of a version: use a plain file name, "
            "without a directory"
        )
    if name in reserved:
        raise RegistryError(
            f"'{name}' is not acceptable as a file of a version: the registry writes it itself"
        )


def check_recorded_files(
    directory: Path, metadata: Mapping[str, Any], *, version: int, metadata_path: Path
) -> None:
    """Hold a version's files and metadata to the digests recorded at registration.

    Parameters
    ----------
    directory : pathlib.Path
        The version's directory.
    metadata : mapping
        Its metadata, as read from ``metadata_path``.
    version : int
        Named in the messages.
    metadata_path : pathlib.Path
        Named in the messages.

    Raises
    ------
    ArtifactNotFound
        A recorded file is missing.
    ArtifactTampered
        A recorded file's bytes, or the metadata, changed after registration.
    RegistryError
        The record itself is malformed.
    """
    recorded = metadata.get(FILES)
    if recorded is None:
        return  # registered before digests were recorded: checked as it was then
    if not isinstance(recorded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in recorded.items()
    ):
        raise RegistryError(
            f"model version {version}: '{FILES}' in {metadata_path} is not a mapping of file "
            "name to SHA-256; restore the file or retrain with `hotline train`"
        )
    try:
        intact = metadata.get(METADATA_DIGEST) == metadata_digest(metadata)
    except (TypeError, ValueError):
        intact = False
    if not intact:
        raise ArtifactTampered(
            f"model version {version}: {metadata_path} was changed after registration (it no "
            f"longer matches its {METADATA_DIGEST}); restore it or retrain with `hotline train`"
        )
    for name, expected in sorted(recorded.items()):
        check_file_name(name)
        path = directory / name
        if not path.is_file():
            raise ArtifactNotFound(
                f"model version {version}: {name} is missing from {directory} (written at "
                f"registration with SHA-256 {expected[:12]}…); restore it or retrain with "
                "`hotline train`"
            )
        actual = sha256_file(path)
        if actual != expected:
            raise ArtifactTampered(
                f"model version {version}: {path} has SHA-256 {actual[:12]}…, but "
                f"{expected[:12]}… was recorded at registration; restore it or retrain with "
                "`hotline train`"
            )

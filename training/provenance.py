"""How the served audit bundle names a file the data scientist used: by name, never by path."""

from __future__ import annotations

from pathlib import PureWindowsPath


def file_name(path: str) -> str:
    r"""Return the last component of a recorded path, e.g. ``train.jsonl``.

    The bundle is served over the API (``/v1/reports/models/...``): a full path would tell
    every reader how the server's disk is laid out, and the SHA-256 recorded next to the
    name is what identifies the file.

    Parameters
    ----------
    path : str
        As recorded: absolute or relative, written on POSIX or on Windows (both ``/`` and
        ``\`` separate components, so a path recorded on either is cut right on both).

    Returns
    -------
    str
        The name; ``path`` itself when it has no separator (e.g. ``<string>``), empty for
        a bare root.
    """
    return PureWindowsPath(path).name

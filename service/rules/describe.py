"""Name a YAML value's kind and show it in one-line error messages."""

from __future__ import annotations

from collections.abc import Mapping


def kind_of(value: object) -> str:
    """Name the kind of a value read from YAML or JSON.

    Parameters
    ----------
    value : object
        The value.

    Returns
    -------
    str
        One of ``null``, ``boolean``, ``number``, ``text``, ``list``, ``mapping`` or the type
        name.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return type(value).__name__


def show(value: object) -> str:
    """Show a value the way a rules file would spell it.

    Parameters
    ----------
    value : object
        The value.

    Returns
    -------
    str
        Text quoted, booleans as ``true``/``false``, mappings abbreviated.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, Mapping):
        return "{...}"
    if value is None:
        return "null"
    return str(value)


def described(value: object) -> str:
    """Name a value's kind and show it, for the "got ..." end of a message.

    Parameters
    ----------
    value : object
        The value.

    Returns
    -------
    str
        E.g. ``number 0``, ``text 'soon'``; ``null`` alone (not ``null null``), and ``a list``
        or ``a mapping`` for a collection, which would be too long to show.
    """
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"{kind_of(value)} {show(value)}"

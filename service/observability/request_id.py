"""The request id: taken from a sane ``X-Request-ID`` (the proxy's) or made here.

It is kept in a context variable for the duration of the request, so log lines and error
bodies built anywhere inside the request can name it without it being passed around.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Final

from service.ids import random_hex_id

REQUEST_ID_HEADER: Final = "x-request-id"
# Letters, digits and . _ : - only, at most 64: an id is echoed into headers and logs, so
# anything that could split a header or forge a log line is replaced, not passed on.
_SANE: Final = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_current: ContextVar[str | None] = ContextVar("hotline_request_id", default=None)


def request_id_from(incoming: str | None) -> str:
    """Return the incoming id if it is sane, else a new random one.

    Parameters
    ----------
    incoming : str or None
        The ``X-Request-ID`` header as received.

    Returns
    -------
    str
    """
    # fullmatch: with match, "$" also matched before a final newline, so "id\n" was kept.
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return random_hex_id()


def current_request_id() -> str | None:
    """Return the id of the request being handled, if any.

    Returns
    -------
    str or None
    """
    return _current.get()


def set_request_id(request_id: str | None) -> object:
    """Make ``request_id`` current; returns a token for :func:`reset_request_id`.

    Parameters
    ----------
    request_id : str or None

    Returns
    -------
    object
    """
    return _current.set(request_id)


def reset_request_id(token: object) -> None:
    """Restore the id that was current before :func:`set_request_id`.

    Parameters
    ----------
    token : object
    """
    _current.reset(token)  # type: ignore[arg-type]

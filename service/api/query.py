"""A query parameter refused by the route's own check, answered as pydantic would answer it."""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi.exceptions import RequestValidationError


def refuse_query(name: str, message: str, value: Any) -> NoReturn:
    """Raise the 422 a query parameter pydantic refuses gets, naming ``query.<name>``.

    Parameters
    ----------
    name : str
        The parameter.
    message : str
        What is wrong and what is accepted.
    value : Any
        What was sent.

    Raises
    ------
    fastapi.exceptions.RequestValidationError
    """
    error = {"loc": ("query", name), "msg": message, "type": "value_error", "input": value}
    raise RequestValidationError([error])

"""Turn results holding numpy scalars and non-finite floats into what JSON can hold."""

from __future__ import annotations

import math
from typing import Any


def json_ready(obj: Any) -> Any:
    """Return a copy of ``obj`` that :func:`json.dumps` writes with ``allow_nan=False``.

    Dicts (keys made strings), lists and tuples (made lists) are converted element by element;
    anything with an ``item()`` method, such as a numpy scalar or a 0-d array, becomes the
    Python value it holds; NaN and infinities become None.

    Parameters
    ----------
    obj : Any
        A result: nested dicts, lists and tuples of numbers, strings, None and numpy scalars.

    Returns
    -------
    Any
    """
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        # NaN (an undefined rate), and the infinite ratio to a reference group at 0: JSON
        # has neither, and the reports and gates say them in words.
        return None
    if hasattr(obj, "item"):
        # Duck-typed rather than np.generic, so a 0-d array (e.g. from a numpy reduction)
        # is unwrapped as a numpy scalar is.
        return json_ready(obj.item())
    return obj

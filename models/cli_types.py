"""Command-line value types shared by every package's CLI."""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteFloat(click.FloatRange):
    """A number in an optional range that is neither NaN nor infinite.

    click's float takes ``nan`` and ``inf``, and NaN passes every range check: a threshold
    or margin of NaN gives an answer ("no group's rates differ") that reads like a finding,
    and an infinite bias makes NaN odds.
    """

    name = "finite number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Convert as :class:`click.FloatRange` does, then refuse NaN and infinities."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number

    def _describe_range(self) -> str:
        # click would print "[x<=None]" in --help for a number with no bounds.
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range()

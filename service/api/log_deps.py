"""Dependencies shared by the decision-log routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.decision_log import DecisionLog


def get_decision_log(request: Request) -> DecisionLog:
    """Return the decision log the app opened at startup."""
    decision_log: DecisionLog = request.app.state.decision_log
    return decision_log


DecisionLogDep = Annotated[DecisionLog, Depends(get_decision_log)]

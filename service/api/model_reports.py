"""`GET /v1/reports/models/{version}`: a model version's audit bundle, read in a browser.

``hotline promote`` writes each candidate's bundle (fairness audit, threshold-near analysis,
the gates' verdicts and the model card) into the registry, promoted or refused. Supervisors
read it here without a shell on the machine that holds the registry. The pages are the
self-contained files written at promotion, served as they are: aggregate figures over the
training holdout, no family's record.
"""

from __future__ import annotations

import html
import logging
import pathlib
from typing import Annotated, Any, Final, Literal, get_args

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from fairness import REPORT_CSP
from models import ModelError, ModelRegistry, RegistryError
from service.auth import GuardedRoute, Permission, require
from service.errors import ReportNotFound

log = logging.getLogger("hotline.reports")

router = APIRouter(
    prefix="/v1/reports/models",
    tags=["reports"],
    dependencies=[Depends(require(Permission.reports_read))],
    route_class=GuardedRoute,
)

Document = Literal[
    "audit.html",
    "threshold_near.html",
    "model_card.html",
    "gates.json",
    "audit.json",
    "threshold_near.json",
    "model_card.md",
]
"""The files of a bundle, in the order the index lists them; nothing else is served."""

_MEDIA: Final = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
}
# The pages already carry this policy in a <meta> tag (they open offline from a file); the
# header holds whatever the file says, and the browser may not guess another type.
_HEADERS: Final = {
    "Content-Security-Policy": REPORT_CSP,
    "X-Content-Type-Options": "nosniff",
}
_TITLES: Final = {
    "audit.html": "Fairness audit (rates, ratios and calibration by group)",
    "threshold_near.html": "Threshold-near analysis (families just below vs just above)",
    "model_card.html": "Model card",
    "gates.json": "Promotion gates: each gate's measure, limit and verdict (JSON)",
    "audit.json": "Fairness audit figures (JSON)",
    "threshold_near.json": "Threshold-near figures (JSON)",
    "model_card.md": "Model card (Markdown)",
}
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"description": "No such version or alias, or no bundle written for it."},
}
VersionRef = Annotated[
    str,
    Path(
        description="A version number (3 or v3) or an alias (champion).",
        pattern=r"^([vV]?[0-9]{1,9}|[a-z][a-z0-9_-]{0,31})$",
    ),
]


@router.get(
    "/{version}",
    response_model=None,
    responses={
        200: {
            "description": "The bundle's documents: HTML links by default, JSON with ?format=json.",
            "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {}},
        },
        **_ERRORS,
    },
)
def model_report_index(
    request: Request, version: VersionRef, format: Literal["html", "json"] = "html"
) -> Response:
    """List the audit documents written for a model version at promotion."""
    number, audit = _resolved(request.app.state.models.registry, version)
    present = [name for name in get_args(Document) if (audit / name).is_file()]
    if not present:
        raise ReportNotFound(
            f"model version {number} has no audit bundle: it is written when the version is "
            "put to the promotion gates (`hotline promote`)"
        )
    if format == "json":
        return JSONResponse({"version": number, "documents": present})
    items = "".join(
        f'<li><a href="{number}/{name}">{html.escape(_TITLES[name])}</a></li>' for name in present
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Model version {number}: audit bundle</title></head><body>"
        f"<h1>Model version {number}: audit bundle</h1><ul>{items}</ul></body></html>"
    )
    # Relative links: "{number}/audit.html" from ".../models/champion" resolves to
    # ".../models/{number}/audit.html", the version the alias pointed at when listed.
    return HTMLResponse(page, headers=_HEADERS)


@router.get(
    "/{version}/{document}",
    response_model=None,
    responses={
        200: {
            "description": "The document as written at promotion.",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/json": {},
                "text/markdown": {"schema": {"type": "string"}},
            },
        },
        **_ERRORS,
    },
)
def model_report(request: Request, version: VersionRef, document: Document) -> Response:
    """Serve one document of a model version's audit bundle."""
    number, audit = _resolved(request.app.state.models.registry, version)
    path = audit / document
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ReportNotFound(
            f"model version {number} has no {document}: see /v1/reports/models/{number} for "
            "the documents it has"
        ) from None
    media = _MEDIA[document[document.rindex(".") :]]
    return Response(content, media_type=media, headers=_HEADERS)


def _resolved(registry: ModelRegistry, version: str) -> tuple[int, pathlib.Path]:
    # The version and its bundle's folder.
    # Not the registry's own messages: they name its directory on the server.
    try:
        number = registry.resolve(version)
    except RegistryError as exc:
        log.error("model reports: %s", exc)
        raise ReportNotFound(
            f"the alias '{version}' cannot be read; see the service's log"
        ) from None
    except ModelError:
        raise ReportNotFound(
            f"'{version}' is neither a registered model version nor a set alias"
        ) from None
    try:
        folder = registry.version_dir(number)  # an alias may name a version since removed
    except ModelError:
        raise ReportNotFound(
            f"'{version}' names model version {number}, which is not in the registry"
        ) from None
    return number, folder / "audit"

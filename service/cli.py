"""`hotline serve`: run the API with uvicorn."""

from __future__ import annotations

import os

import click

from service.config import get_settings


@click.command()
@click.option("--host", default=None, help="Default: HOTLINE_HOST or 127.0.0.1.")
@click.option("--port", type=click.IntRange(1, 65535), default=None)
@click.option("--workers", type=click.IntRange(1, 64), default=None)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the scoring API (http://127.0.0.1:8000 by default)."""
    import uvicorn

    settings = get_settings()
    # One-row model evaluation gains nothing from OpenMP threads and loses CPU to them.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    click.echo(f"serving on http://{host or settings.host}:{port or settings.port}")
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level="info",
    )

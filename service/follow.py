"""Keep each worker on what is in force: the champion alias, the rules file, the directory.

Every worker process (of every replica) runs one follower thread. Every
``HOTLINE_MODEL_POLL_SECONDS`` it follows the champion alias, and reloads the rules file and
the service directory if they changed on disk. Before, only the model was followed: a
``POST /v1/admin/reload`` reached the one worker that answered it, and the other workers went
on applying the old rules until their next restart, so a family's screening depended on which
worker took the call. Loading happens in this thread, never on the event loop; each swap is
one reference assignment, so a request in flight finishes on what it started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from service.directory_holder import DirectoryHolder
from service.model_holder import ModelHolder
from service.rules import RulesHolder

log = logging.getLogger("hotline.service.follow")


class Follower:
    """Poll the alias, the rules file and the directory in a daemon thread.

    Parameters
    ----------
    models : ModelHolder
    rules : RulesHolder
    directory : DirectoryHolder
    interval : float
        Seconds between checks.
    """

    def __init__(
        self,
        models: ModelHolder,
        rules: RulesHolder,
        directory: DirectoryHolder,
        *,
        interval: float,
    ) -> None:
        self.checks: tuple[Callable[[], object], ...] = (
            models.refresh,
            rules.follow,
            directory.follow,
        )
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="follower", daemon=True)

    def check(self) -> None:
        """Follow each once now; one that fails unexpectedly is logged, not fatal."""
        for follow in self.checks:
            try:
                follow()
            except Exception:  # the thread must outlive any one bad check
                log.exception("following %s failed; retrying next poll", follow.__qualname__)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait (up to 5 s) for a check in progress."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

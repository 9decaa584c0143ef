"""The app factory: settings in, a FastAPI app with model, rules and directory loaded."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from models import ModelError, ModelRegistry, Referral
from service.api import (
    admin,
    decisions,
    health,
    keys,
    metrics,
    model_reports,
    outcomes,
    referrals,
    registry,
    reports,
    rules,
    rules_preview,
    score,
)
from service.api.error_docs import document_error_bodies
from service.api.json_body import publish_body_schemas
from service.auth import (
    AUTH_RESPONSES,
    AuthUnavailable,
    KeyRecord,
    KeyVerifier,
    check_routes,
    find_key,
)
from service.config import ServiceSettings, get_settings
from service.decision_log import open_log
from service.decision_log.errors import DecisionLogUnavailable
from service.decision_log.rules_versions import claim_rules_version
from service.decision_log.startup import start_log
from service.directory_holder import DirectoryHolder
from service.errors import install_error_handlers, internal_error_response
from service.follow import Follower
from service.middleware import BodyLimitMiddleware, HeadAsGetMiddleware, JsonContentTypeMiddleware
from service.middleware.admission import AdmissionMiddleware
from service.model_holder import ModelHolder
from service.observability import Metrics, ObservabilityMiddleware
from service.referrals import load_directory
from service.rules import RuleSet, RulesHolder
from service.rules.holder import claimed_for_other_content

log = logging.getLogger("hotline.service")

LOG_NOT_OPEN = (
    "The decision log is not up to date (GET /ready says why), so no key is checked and "
    "nothing is scored or recorded"
)


def claim_rules(app: FastAPI, ruleset: RuleSet) -> bool:
    """Claim a rule set's version for its content in the decision log (RulesHolder's claim).

    Parameters
    ----------
    app : fastapi.FastAPI
    ruleset : RuleSet

    Returns
    -------
    bool
        Whether the claim was checked; not while the log is down (it is retried).

    Raises
    ------
    VersionNotRaised
        The version was first served with other content.
    """
    if not getattr(app.state, "log_open", False):
        return False
    try:
        claim = claim_rules_version(app.state.decision_log, ruleset.version, ruleset.sha256)
    except DecisionLogUnavailable:
        return False
    if claim.sha256 != ruleset.sha256:
        raise claimed_for_other_content(ruleset, since=claim.first_served_at)
    return True


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the service.

    The rules file is loaded here, before the app exists: a bad rules file stops the service
    from starting rather than letting it screen without its policies. A missing model does not
    stop it: `/ready` answers 503 and `/v1/score` explains how to build one.

    Parameters
    ----------
    settings : ServiceSettings, optional
        Defaults to the environment (``HOTLINE_*``).

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or get_settings()
    rules_holder = RulesHolder.from_path(
        settings.rules_file, claim=lambda ruleset: claim_rules(app, ruleset)
    )
    directory_load = load_directory(settings.directory_path)
    for problem in directory_load.problems:
        log.warning("directory: %s", problem)
    directory = DirectoryHolder(settings.directory_path, directory_load)
    holder = ModelHolder(ModelRegistry(settings.registry_dir), alias=settings.model_alias)
    follower = Follower(holder, rules_holder, directory, interval=settings.model_poll_seconds)
    decision_log = open_log(
        settings.database_url,
        key=settings.pseudonym_key.get_secret_value().encode(),
        max_batch=settings.log_max_batch,
    )
    metrics_ = Metrics()
    decision_log.committer.listeners.append(metrics_.observe_batch)

    def find_key_if_log_open(key_id: str) -> KeyRecord | None:
        # While the log is not brought up to date (unreachable, or migrated by a newer
        # version of the service: its tables then still take writes, in a shape this code
        # does not know) no key is checked, so nothing is scored or recorded. /ready retries
        # the migration and says why.
        if not getattr(app.state, "log_open", True):
            raise AuthUnavailable(LOG_NOT_OPEN)
        return find_key(decision_log, key_id)

    keys_verifier = KeyVerifier(find_key_if_log_open, ttl=settings.key_cache_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            holder.load()
        except ModelError as exc:
            # Refuse the bad artifact but keep running, so /ready can say why.
            holder.last_error = str(exc)
            log.error("model not loaded: %s", exc)
        # A log that cannot be migrated does not stop the service: /v1/score answers 503, and
        # /ready too (it retries, so a database that comes up later makes the service ready).
        app.state.log_open = start_log(decision_log)
        # A version first served (by any worker, any earlier run) with other content is not
        # served again: every decision is logged by version. `hotline serve` refuses such a
        # file in one line; a worker started with one anyway (respawned after the file was
        # edited, while the others keep serving the version's own rules) applies no rules
        # and answers 503 until the file is fixed, rather than stopping the whole server.
        rules_holder.claim_or_block()
        # Follow the champion, the rules file and the directory: a promotion, a rollback or
        # an edited file reaches every worker without a restart.
        follower.start()
        if holder.ready:
            metrics_.model_version.set(holder.current.version)
        # Everything loaded so far (libraries, model, rules, directory: ~230k objects) lives
        # as long as the process. Left to the collector, each full collection walked them
        # all: a 160 ms pause every few seconds under load, the whole p99 at low load.
        gc.collect()
        gc.freeze()
        yield
        follower.stop()
        decision_log.dispose()
        metrics_.close()

    app = FastAPI(
        title="Hotline screening decision support",
        version="0.1.0",
        description=(
            "Supports, never makes, a hotline screener's decision: cited policy rules, an "
            "explained calibrated risk score and community referral suggestions."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.models = holder
    app.state.rules = rules_holder
    app.state.directory = directory
    app.state.decision_log = decision_log
    app.state.keys = keys_verifier
    app.state.metrics = metrics_
    install_error_handlers(app)
    app.include_router(health.router)
    protected_routers = (
        score,
        rules,
        rules_preview,
        referrals,
        decisions,
        outcomes,
        reports,
        model_reports,
    )
    for protected in (*protected_routers, registry, admin, keys, metrics):
        app.include_router(protected.router, responses=AUTH_RESPONSES)
    publish_body_schemas(app, [Referral])
    document_error_bodies(app)
    # Last, after every router: refuses to build an app with a route that names no permission,
    # or one whose key and role would be checked only after its body is read.
    check_routes(app)
    # Innermost: HEAD is served as the GET of the same URL, headers only.
    app.add_middleware(HeadAsGetMiddleware)
    # Hostile input is refused before any route code runs (added last = outermost of these).
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
    )
    app.add_middleware(JsonContentTypeMiddleware)
    # Outermost: refuse the excess before reading any body; and around everything, the request
    # id, timing, access log and metrics (so refusals are logged and counted too).
    app.add_middleware(
        AdmissionMiddleware,
        max_in_flight=settings.max_in_flight,
        on_reject=metrics_.admission_rejections.inc,
    )
    app.add_middleware(
        ObservabilityMiddleware, metrics=metrics_, internal_error=internal_error_response
    )
    return app

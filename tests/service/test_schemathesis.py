"""Property-based run of the app's own OpenAPI schema: no 5xx, no response that breaks it.

Every operation gets a bounded number of generated requests (derandomized, so the same ones
every run), sent with an admin key (admin holds every permission). Requests without a key and
with other roles are covered by tests/service/auth/test_matrix.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from service.config import ServiceSettings
from service.decision_log import migrate
from service.main import create_app
from tests.backends import unstarted_app
from tests.factories import issue_key

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def admin_key_and_schema(registry_with_champion, tmp_path_factory):
    # A fresh app per operation: schemathesis ends the app's lifespan after each test, and an
    # app's lifespan runs once in production, so it is not restarted here either.
    app = create_app(
        ServiceSettings(
            registry_dir=registry_with_champion.root,
            directory_path=ROOT / "data" / "directory",
            database_url=f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'd.db'}",
            environment="test",
        )
    )
    migrate(app.state.decision_log.engine)  # before the lifespan, so the key can be stored
    key = issue_key(app.state.decision_log, "admin")
    return key, schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations() -> list[str]:
    # The schema does not depend on the model or the log: read it from an app never started.
    app = unstarted_app()
    paths = app.openapi()["paths"]
    return [f"{method.upper()} {path}" for path, item in paths.items() for method in item]


# Parametrized per operation (rather than schemathesis.pytest.from_fixture, which does not
# run under pytest 9), so a failure names its operation.
@pytest.mark.parametrize("label", _operations())
def test_api_conforms_to_its_schema(label, admin_key_and_schema) -> None:
    key, schema = admin_key_and_schema
    operation = schema.find_operation_by_label(label)
    headers = {"Authorization": f"Bearer {key}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        # Schema-valid data may still be refused on purpose: cross-field rules (dates on or
        # before received_at), the meaning of a rules YAML, comma lists of needs. Everything
        # else is checked: no 5xx, documented status codes, content types, headers, bodies.
        case.call_and_validate(headers=headers, excluded_checks=[checks.positive_data_acceptance])

    check()

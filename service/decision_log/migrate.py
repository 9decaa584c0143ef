"""Run the Alembic migrations shipped with the package (at app start and `hotline log migrate`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from service.decision_log.errors import SchemaTooNew

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migrate(engine: Engine, *, revision: str = "head") -> None:
    """Upgrade the decision-log schema.

    Several workers may call this at once: the migration runs in one transaction that first
    takes a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so the
    others wait and then find nothing to do.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    revision : str, default "head"

    Raises
    ------
    SchemaTooNew
        The database is at a revision this code does not know (a newer version migrated it);
        nothing is changed.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        # Checked first: Alembic's own refusal ("Can't locate revision identified by ...")
        # is a CommandError with a traceback's worth of context, not a reason in one line.
        require_known_revision(connection, ScriptDirectory.from_config(config))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def require_known_revision(connection: Connection, script: ScriptDirectory) -> None:
    """Refuse a database whose schema revision is not one of this code's migrations.

    Parameters
    ----------
    connection : sqlalchemy.Connection
    script : alembic.script.ScriptDirectory
        This code's migrations.

    Raises
    ------
    SchemaTooNew
        In one line: the database's revision and this code's newest.
    """
    current = MigrationContext.configure(connection).get_current_heads()
    known = {s.revision for s in script.walk_revisions()}
    unknown = [r for r in current if r not in known]
    if unknown:
        raise SchemaTooNew(
            f"the database is at schema revision {', '.join(unknown)}, newer than this code "
            f"(head {script.get_current_head()}); run the version of the service that "
            "migrated it, or restore a backup taken before"
        )

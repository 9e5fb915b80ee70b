"""docs/operations.md's backup and restore commands, run for real against PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.factories import PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TABLES = ("subscriptions_subscriber", "ranking_paper", "django_migrations")


def database_url(name: str) -> str:
    """A libpq URL like DATABASE_URL, for the test database's server and `name`."""
    params = connection.settings_dict
    auth = quote(params["USER"] or "")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"])
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{name}"


def run(*command: str) -> str:
    """Run a PostgreSQL client tool (found on PATH, like the operator's shell does)."""
    out = subprocess.run(  # noqa: S603
        command, check=True, capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )
    return out.stdout


def counts(url: str) -> list[str]:
    query = "select " + ", ".join(f"(select count(*) from {table})" for table in TABLES)  # noqa: S608
    return run("psql", "-Atc", query, url).strip().split("|")


@pytest.fixture
def target() -> Iterator[str]:
    """An empty database next to the test database, dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("the backup commands are for PostgreSQL (set DATABASE_URL to run this)")
    if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")):
        pytest.skip("the PostgreSQL client tools are not installed")
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = database_url("postgres")
    run("psql", "-qc", f'DROP DATABASE IF EXISTS "{name}"', admin)
    run("psql", "-qc", f'CREATE DATABASE "{name}"', admin)
    yield database_url(name)
    run("psql", "-qc", f'DROP DATABASE IF EXISTS "{name}"', admin)


def test_a_dump_restores_into_an_empty_database_and_over_a_used_one(
    tmp_path: Path, target: str
) -> None:
    SubscriberFactory.create_batch(3)
    PaperFactory.create_batch(4)
    source = database_url(connection.settings_dict["NAME"])
    dump = tmp_path / "paperboy.dump"

    run("pg_dump", "--format=custom", f"--file={dump}", source)
    run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump))
    assert counts(target) == counts(source) == ["3", "4", counts(source)[2]]

    # Restoring over a database that moved on replaces it with the backup's state.
    run("psql", "-qc", "DELETE FROM ranking_paper", target)
    run(
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
        "--single-transaction", f"--dbname={target}", str(dump),
    )  # fmt: skip
    assert counts(target) == counts(source)

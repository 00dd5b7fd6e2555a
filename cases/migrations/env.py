"""Alembic environment for the project's own tables (cases/schema.py); Rasa's tracker store is not ours.

`cases.db.upgrade` passes its connection in `config.attributes["connection"]`; the `alembic` command line
(`alembic -c cases/alembic.ini ...`) gets the URL from ANSINH_DB_URL or the ini file.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from cases.db import include_object
from cases.schema import metadata

config = context.config
target_metadata = metadata


OPTS = dict(
    target_metadata=target_metadata,
    include_object=include_object,
    render_as_batch=True,  # SQLite ALTERs through batch mode (autogenerate too)
    compare_type=True,
)


def _url() -> str:
    """The URL cases.db.alembic_config was given; else (the alembic command line) ANSINH_DB_URL, the ini file."""
    return (config.attributes.get("url") or os.environ.get("ANSINH_DB_URL") or config.get_main_option("sqlalchemy.url")
            or "sqlite:///ansinh.db")


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"}, **OPTS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool, future=True)
    with engine.connect() as conn:
        context.configure(connection=conn, **OPTS)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Alembic environment: runs on a connection handed over by models.migrate, or offline
(`--sql`) to print the DDL for a URL (used to compile T-SQL for SQL Server)."""
from alembic import context

import models.all_tables  # noqa: F401  (registers every table on Base.metadata)
from models.base import Base

config = context.config
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      version_table_schema=None)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

"""Daily ledger totals (ledger_daily: day, operator, method, kind -> n, amount_fen) for reports
that do not grow with history; back-filled from the existing entries (models/ledger_daily.py).

The back-fill groups entries by their local day at this machine's current UTC offset, the
rule the reports and models/ledger_daily.py apply.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:00:00
"""
import sqlalchemy as sa
from alembic import op

from models.ledger_daily import utc_offset_minutes

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _local_day(dialect: str, column, minutes: int):
    if dialect == "sqlite":
        return sa.func.date(column, f"{minutes:+d} minutes")
    if dialect == "mssql":
        return sa.cast(sa.func.dateadd(sa.text("minute"), minutes, column), sa.Date)
    return sa.cast(column + sa.text(f"interval '{minutes} minutes'"), sa.Date)


def upgrade() -> None:
    daily = op.create_table('ledger_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('operator', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'operator', 'method', 'kind', name=op.f('pk_ledger_daily'))
    )
    conn = op.get_bind()
    e = sa.table("ledger_entries", sa.column("at", sa.DateTime()), sa.column("operator", sa.Unicode()),
                 sa.column("method", sa.String()), sa.column("kind", sa.String()),
                 sa.column("amount_fen", sa.BigInteger()))
    day = _local_day(conn.dialect.name, e.c.at, utc_offset_minutes())
    op_, method = sa.func.coalesce(e.c.operator, ""), sa.func.coalesce(e.c.method, "")
    grouped = (sa.select(day, op_, method, e.c.kind, sa.func.count(), sa.func.sum(e.c.amount_fen))
               .group_by(day, op_, method, e.c.kind))
    conn.execute(sa.insert(daily).from_select(["day", "operator", "method", "kind", "n", "amount_fen"], grouped))


def downgrade() -> None:
    op.drop_table('ledger_daily')

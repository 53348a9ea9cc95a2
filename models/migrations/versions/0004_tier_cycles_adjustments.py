"""Tier cycle state (tier_cycles) for additive tiered pricing, and the ledger entry kind
'adjustment' (a correction of earlier charges, issue 14).

The kind CHECK constraint is replaced; on SQLite that recreates ledger_entries (batch mode),
which drops its triggers, so the never-edited/never-deleted triggers are created again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 03:40:00
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_KINDS = ("purchase", "refund", "reversal", "consumption", "subsidy_grant", "subsidy_expiry",
             "transfer_in", "transfer_out", "opening_balance", "bill", "bill_payment", "apportion")
NEW_KINDS = OLD_KINDS + ("adjustment",)


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _set_kinds(kinds: tuple[str, ...]) -> None:
    dialect = op.get_context().dialect.name
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ledger_entries_kind_known'), _kinds(kinds))
    if dialect == "sqlite":                 # the table was recreated without its triggers
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")
        op.execute("CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger entries are never edited'); END")
        op.execute("CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END")


def upgrade() -> None:
    op.create_table('tier_cycles',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('cycle_start', sa.Date(), nullable=False),
    sa.Column('energy', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.String(length=40), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_tier_cycles_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'cycle_start', name=op.f('pk_tier_cycles'))
    )
    _set_kinds(NEW_KINDS)


def downgrade() -> None:
    _set_kinds(OLD_KINDS)
    op.drop_table('tier_cycles')

"""Polling facts (issue 15 item 12): meters.lost_since, comm_state wide enough for
"unreachable", and meter_read_days (read attempts and successes per meter and day).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:40:00
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meter_read_days',
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('successes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_meter_read_days_meter_id_meters')),
    sa.PrimaryKeyConstraint('meter_id', 'day', name=op.f('pk_meter_read_days'))
    )
    with op.batch_alter_table('meters') as batch:
        batch.add_column(sa.Column('lost_since', models.base.UTCDateTime(), nullable=True))
        batch.alter_column('comm_state', existing_type=sa.String(length=10), type_=sa.String(length=12),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('meters') as batch:
        batch.alter_column('comm_state', existing_type=sa.String(length=12), type_=sa.String(length=10),
                           existing_nullable=False)
        batch.drop_column('lost_since')
    op.drop_table('meter_read_days')

"""Outbox claims carry their claimer and a lease; an item whose outcome is unknown is marked.

claim_token: who holds a "sending" item (station, host, process, a random part);
lease_until: the claim is another poller's to release only after this moment (the holder renews it);
in_doubt:    the item may have reached the meter without its answer being recorded (a poller died,
             the reply was lost): a relay command is read back before it is sent again.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30 06:40:00
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('outbox', sa.Column('claim_token', sa.String(length=120), nullable=True))
    op.add_column('outbox', sa.Column('lease_until', models.base.UTCDateTime(), nullable=True))
    op.add_column('outbox', sa.Column('in_doubt', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('in_doubt')
        batch.drop_column('lease_until')
        batch.drop_column('claim_token')

"""Timed remote control (定时通断电): timed_schedules, and workdays (调休 make-up working days).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:40:00
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('timed_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('off_at', sa.String(length=5), nullable=False),
    sa.Column('on_at', sa.String(length=5), nullable=False),
    sa.Column('days', sa.String(length=10), nullable=False),
    sa.Column('dates', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.Column('skip', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("days IN ('every', 'weekdays', 'school', 'dates')", name=op.f('ck_timed_schedules_days_known')),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_timed_schedules_tag_id_tags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timed_schedules')),
    sa.UniqueConstraint('name', name=op.f('uq_timed_schedules_name'))
    )
    op.create_table('workdays',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_workdays'))
    )


def downgrade() -> None:
    op.drop_table('workdays')
    op.drop_table('timed_schedules')

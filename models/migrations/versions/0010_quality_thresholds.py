"""Power-quality alarm thresholds per meter group (tag), for every meter, or per meter.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:40:00
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

LIMITS = ('over_voltage_milli', 'under_voltage_milli', 'over_current_milli', 'overload_milli')


def upgrade() -> None:
    op.create_table('quality_thresholds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=30), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('meter_id', sa.Integer(), nullable=True),
    *[sa.Column(c, sa.BigInteger(), nullable=True) for c in LIMITS],
    sa.Column('updated_by', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    *[sa.CheckConstraint(f'{c} IS NULL OR {c} > 0', name=op.f(f'ck_quality_thresholds_{c}_positive'))
      for c in LIMITS],
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_quality_thresholds_tag_id_tags')),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_quality_thresholds_meter_id_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_thresholds')),
    sa.UniqueConstraint('scope', name=op.f('uq_quality_thresholds_scope'))
    )
    with op.batch_alter_table('quality_thresholds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_thresholds_tag_id'), ['tag_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_thresholds_meter_id'), ['meter_id'], unique=False)


def downgrade() -> None:
    op.drop_table('quality_thresholds')

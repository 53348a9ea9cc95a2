"""Alarms, job runs (exactly-once catch-up), reading schedules, holidays, frozen data,
APScheduler's job store, and the meters' relay / keep-power / live-value columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 22:40:42.598474
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    op.create_table('holidays',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holidays'))
    )
    op.create_table('job_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('station', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('details', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job', 'period', name='uq_job_runs_job_period')
    )
    op.create_table('read_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('every_minutes', sa.Integer(), nullable=False),
    sa.Column('at_time', sa.String(length=5), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_read_schedules_tag_id_tags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_read_schedules')),
    sa.UniqueConstraint('name', name=op.f('uq_read_schedules_name'))
    )
    op.create_table('alarms',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('meter_id', sa.Integer(), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Unicode(length=300).with_variant(sa.NVARCHAR(length=300), 'mssql'), nullable=False),
    sa.Column('details', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.Column('raised_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('acked_by', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('acked_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('cleared_at', models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'cleared')", name=op.f('ck_alarms_state_known')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_alarms_account_id_accounts')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_alarms_building_id_buildings')),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_alarms_link_id_links')),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_alarms_meter_id_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarms'))
    )
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarms_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarms_meter_id'), ['meter_id'], unique=False)
        batch_op.create_index('ix_alarms_state_raised', ['state', 'raised_at'], unique=False)

    op.create_table('frozen_readings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('energy_milli', sa.BigInteger(), nullable=False),
    sa.Column('t1_milli', sa.BigInteger(), nullable=True),
    sa.Column('t2_milli', sa.BigInteger(), nullable=True),
    sa.Column('t3_milli', sa.BigInteger(), nullable=True),
    sa.Column('t4_milli', sa.BigInteger(), nullable=True),
    sa.Column('read_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_frozen_readings_meter_id_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frozen_readings')),
    sa.UniqueConstraint('meter_id', 'kind', 'period', name='uq_frozen_meter_kind_period')
    )
    with op.batch_alter_table('meters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('relay_state', sa.String(length=8), nullable=False, server_default='unknown'))
        batch_op.add_column(sa.Column('keep_power', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('last_values', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('last_read_at', models.base.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('meters', schema=None) as batch_op:
        batch_op.drop_column('last_read_at')
        batch_op.drop_column('last_values')
        batch_op.drop_column('keep_power')
        batch_op.drop_column('relay_state')

    op.drop_table('frozen_readings')
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.drop_index('ix_alarms_state_raised')
        batch_op.drop_index(batch_op.f('ix_alarms_meter_id'))
        batch_op.drop_index(batch_op.f('ix_alarms_account_id'))

    op.drop_table('alarms')
    op.drop_table('read_schedules')
    op.drop_table('job_runs')
    op.drop_table('holidays')
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')

"""Archive (floors, rooms, tags, links, meters, customers, readings), accounts, tariffs, and
the ledger with receipts, outbox and shifts. Ledger entries are made immutable by triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:05:08.076017
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=100).with_variant(sa.NVARCHAR(length=100), 'mssql'), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('id_number', sa.String(length=30), nullable=False),
    sa.Column('type', sa.String(length=12), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_phone'), ['phone'], unique=False)

    op.create_table('links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.Column('url', sa.Unicode(length=200).with_variant(sa.NVARCHAR(length=200), 'mssql'), nullable=False),
    sa.Column('protocol', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('last_ok_at', models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_links')),
    sa.UniqueConstraint('name', name=op.f('uq_links_name'))
    )
    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('station', sa.Unicode(length=80).with_variant(sa.NVARCHAR(length=80), 'mssql'), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('closed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('expected_cash_fen', sa.BigInteger(), nullable=True),
    sa.Column('counted_cash_fen', sa.BigInteger(), nullable=True),
    sa.Column('difference_fen', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_shifts_state_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('uq_shifts_open_station', ['station'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"), mssql_where=sa.text("state = 'open'"))

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('kind', 'name', name='uq_tags_kind_name')
    )
    op.create_table('tariff_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=60).with_variant(sa.NVARCHAR(length=60), 'mssql'), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff_plans')),
    sa.UniqueConstraint('name', name=op.f('uq_tariff_plans_name'))
    )
    op.create_table('tariff_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', models.base.UTCDateTime(), nullable=False),
    sa.Column('body', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['tariff_plans.id'], name=op.f('fk_tariff_versions_plan_id_tariff_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff_versions')),
    sa.UniqueConstraint('plan_id', 'effective_from', name='uq_tariff_versions_plan_from')
    )
    with op.batch_alter_table('tariff_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariff_versions_plan_id'), ['plan_id'], unique=False)

    op.create_table('floors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_floors_building_id_buildings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floors')),
    sa.UniqueConstraint('building_id', 'name', name='uq_floors_building_name')
    )
    with op.batch_alter_table('floors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floors_building_id'), ['building_id'], unique=False)

    op.create_table('rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('floor_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('name', sa.Unicode(length=100).with_variant(sa.NVARCHAR(length=100), 'mssql'), nullable=False),
    sa.Column('area_centi_m2', sa.BigInteger(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.CheckConstraint('area_centi_m2 >= 0', name=op.f('ck_rooms_area_nonneg')),
    sa.CheckConstraint('people >= 0', name=op.f('ck_rooms_people_nonneg')),
    sa.ForeignKeyConstraint(['floor_id'], ['floors.id'], name=op.f('fk_rooms_floor_id_floors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rooms')),
    sa.UniqueConstraint('floor_id', 'number', name='uq_rooms_floor_number')
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rooms_floor_id'), ['floor_id'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('tariff_plan_id', sa.Integer(), nullable=True),
    sa.Column('arrears_policy', sa.String(length=10), nullable=False),
    sa.Column('arrears_time', sa.String(length=5), nullable=False),
    sa.Column('respect_quiet', sa.Boolean(), nullable=False),
    sa.Column('account_type', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('alarm1_fen', sa.BigInteger(), nullable=False),
    sa.Column('alarm2_fen', sa.BigInteger(), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('closed_at', models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("arrears_policy IN ('trip-now', 'never', 'trip-at')", name=op.f('ck_accounts_arrears_known')),
    sa.CheckConstraint("mode IN ('meter-prepaid', 'station-prepaid', 'postpaid')", name=op.f('ck_accounts_mode_known')),
    sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_accounts_state_known')),
    sa.CheckConstraint('alarm1_fen >= alarm2_fen AND alarm2_fen >= 0', name=op.f('ck_accounts_alarm_order')),
    sa.CheckConstraint('subsidy_fen >= 0', name=op.f('ck_accounts_subsidy_nonneg')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_accounts_customer_id_customers')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_accounts_room_id_rooms')),
    sa.ForeignKeyConstraint(['tariff_plan_id'], ['tariff_plans.id'], name=op.f('fk_accounts_tariff_plan_id_tariff_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('number', name=op.f('uq_accounts_number'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_room_id'), ['room_id'], unique=False)

    op.create_table('meters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('protocol', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=20), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('profile', sa.String(length=60), nullable=False),
    sa.Column('options', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.Column('ct_ratio', sa.Integer(), nullable=False),
    sa.Column('initial_milli', sa.BigInteger(), nullable=False),
    sa.Column('install_date', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('is_common', sa.Boolean(), nullable=False),
    sa.Column('comm_state', sa.String(length=10), nullable=False),
    sa.Column('fail_streak', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('ct_ratio >= 1', name=op.f('ck_meters_ct_positive')),
    sa.CheckConstraint('initial_milli >= 0', name=op.f('ck_meters_initial_nonneg')),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_meters_link_id_links')),
    sa.ForeignKeyConstraint(['parent_id'], ['meters.id'], name=op.f('fk_meters_parent_id_meters')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_meters_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meters')),
    sa.UniqueConstraint('number', name=op.f('uq_meters_number'))
    )
    with op.batch_alter_table('meters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meters_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meters_room_id'), ['room_id'], unique=False)

    op.create_table('account_meters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('opening_milli', sa.BigInteger(), nullable=True),
    sa.Column('opening_source', sa.String(length=10), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('last_settled_milli', sa.BigInteger(), nullable=True),
    sa.Column('last_settled_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('closing_milli', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_meters_account_id_accounts')),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_account_meters_meter_id_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_meters'))
    )
    with op.batch_alter_table('account_meters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_meters_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_account_meters_active', ['meter_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'), mssql_where=sa.text('closed_at IS NULL'))

    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('energy_milli', sa.BigInteger(), nullable=True),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('operator', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('station', sa.Unicode(length=80).with_variant(sa.NVARCHAR(length=80), 'mssql'), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.Unicode(length=100).with_variant(sa.NVARCHAR(length=100), 'mssql'), nullable=False),
    sa.Column('receipt_no', sa.String(length=20), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('period_key', sa.String(length=40), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('meter_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Unicode(length=200).with_variant(sa.NVARCHAR(length=200), 'mssql'), nullable=False),
    sa.CheckConstraint("kind IN ('purchase', 'refund', 'reversal', 'consumption', 'subsidy_grant', 'subsidy_expiry', 'transfer_in', 'transfer_out', 'opening_balance', 'bill', 'bill_payment', 'apportion')", name=op.f('ck_ledger_entries_kind_known')),
    sa.CheckConstraint('subsidy_after_fen >= 0', name=op.f('ck_ledger_entries_subsidy_after_nonneg')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ledger_entries_account_id_accounts')),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_ledger_entries_meter_id_meters')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_entries.id'], name=op.f('fk_ledger_entries_reverses_id_ledger_entries')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_ledger_entries_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_account_id_seq', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_ledger_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_receipt_no'), ['receipt_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index('uq_ledger_idempotency', ['idempotency_key'], unique=True, sqlite_where=sa.text('idempotency_key IS NOT NULL'), postgresql_where=sa.text('idempotency_key IS NOT NULL'), mssql_where=sa.text('idempotency_key IS NOT NULL'))
        batch_op.create_index('uq_ledger_period', ['account_id', 'kind', 'period_key'], unique=True, sqlite_where=sa.text('period_key IS NOT NULL'), postgresql_where=sa.text('period_key IS NOT NULL'), mssql_where=sa.text('period_key IS NOT NULL'))
        batch_op.create_index('uq_ledger_reverses', ['reverses_id'], unique=True, sqlite_where=sa.text('reverses_id IS NOT NULL'), postgresql_where=sa.text('reverses_id IS NOT NULL'), mssql_where=sa.text('reverses_id IS NOT NULL'))

    op.create_table('meter_tags',
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_meter_tags_meter_id_meters')),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_meter_tags_tag_id_tags')),
    sa.PrimaryKeyConstraint('meter_id', 'tag_id', name=op.f('pk_meter_tags'))
    )
    op.create_table('readings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('energy_milli', sa.BigInteger(), nullable=False),
    sa.Column('t1_milli', sa.BigInteger(), nullable=True),
    sa.Column('t2_milli', sa.BigInteger(), nullable=True),
    sa.Column('t3_milli', sa.BigInteger(), nullable=True),
    sa.Column('t4_milli', sa.BigInteger(), nullable=True),
    sa.Column('meter_balance_fen', sa.BigInteger(), nullable=True),
    sa.Column('flag', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_readings_meter_id_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readings'))
    )
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.create_index('ix_readings_meter_at', ['meter_id', 'at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('meter_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('done_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Unicode(length=300).with_variant(sa.NVARCHAR(length=300), 'mssql'), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'sending', 'done', 'failed', 'expired')", name=op.f('ck_outbox_state_known')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_outbox_account_id_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_outbox_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_outbox_meter_id_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_meter_id'), ['meter_id'], unique=False)
        batch_op.create_index('ix_outbox_state_next', ['state', 'next_at'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('issued_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('operator', sa.Unicode(length=40).with_variant(sa.NVARCHAR(length=40), 'mssql'), nullable=False),
    sa.Column('reprints', sa.Integer(), nullable=False),
    sa.Column('payload', sa.UnicodeText().with_variant(sa.NVARCHAR(), 'mssql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_receipts_account_id_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_receipts_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('number', name=op.f('uq_receipts_number'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_account_id'), ['account_id'], unique=False)


    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"name": "receipt", "value": 0}, {"name": "account", "value": 0}])
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger entries are never edited'); END")
        op.execute("CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION ledger_entries_immutable() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'ledger entries are never edited or deleted'; END $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_entries_immutable()")
    elif dialect == "mssql":
        op.execute("CREATE TRIGGER ledger_entries_immutable ON ledger_entries INSTEAD OF UPDATE, DELETE AS "
                   "THROW 50000, 'ledger entries are never edited or deleted', 1;")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect in ("sqlite", "mssql", "postgresql"):
        for name in ("ledger_entries_no_update", "ledger_entries_no_delete", "ledger_entries_immutable"):
            if dialect == "sqlite" and name == "ledger_entries_immutable":
                continue
            if dialect != "sqlite" and name != "ledger_entries_immutable":
                continue
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON ledger_entries" if dialect == "postgresql" else ""))
    op.execute("DELETE FROM counters WHERE name IN ('receipt', 'account')")
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_account_id'))

    op.drop_table('receipts')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state_next')
        batch_op.drop_index(batch_op.f('ix_outbox_meter_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_account_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.drop_index('ix_readings_meter_at')

    op.drop_table('readings')
    op.drop_table('meter_tags')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_ledger_reverses', sqlite_where=sa.text('reverses_id IS NOT NULL'), postgresql_where=sa.text('reverses_id IS NOT NULL'), mssql_where=sa.text('reverses_id IS NOT NULL'))
        batch_op.drop_index('uq_ledger_period', sqlite_where=sa.text('period_key IS NOT NULL'), postgresql_where=sa.text('period_key IS NOT NULL'), mssql_where=sa.text('period_key IS NOT NULL'))
        batch_op.drop_index('uq_ledger_idempotency', sqlite_where=sa.text('idempotency_key IS NOT NULL'), postgresql_where=sa.text('idempotency_key IS NOT NULL'), mssql_where=sa.text('idempotency_key IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_shift_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_receipt_no'))
        batch_op.drop_index('ix_ledger_at')
        batch_op.drop_index('ix_ledger_account_id_seq')

    op.drop_table('ledger_entries')
    with op.batch_alter_table('account_meters', schema=None) as batch_op:
        batch_op.drop_index('uq_account_meters_active', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'), mssql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_account_meters_account_id'))

    op.drop_table('account_meters')
    with op.batch_alter_table('meters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meters_room_id'))
        batch_op.drop_index(batch_op.f('ix_meters_link_id'))

    op.drop_table('meters')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_room_id'))
        batch_op.drop_index(batch_op.f('ix_accounts_customer_id'))

    op.drop_table('accounts')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rooms_floor_id'))

    op.drop_table('rooms')
    with op.batch_alter_table('floors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_floors_building_id'))

    op.drop_table('floors')
    with op.batch_alter_table('tariff_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariff_versions_plan_id'))

    op.drop_table('tariff_versions')
    op.drop_table('tariff_plans')
    op.drop_table('tags')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('uq_shifts_open_station', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"), mssql_where=sa.text("state = 'open'"))

    op.drop_table('shifts')
    op.drop_table('links')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone'))
        batch_op.drop_index(batch_op.f('ix_customers_name'))

    op.drop_table('customers')

"""Foundation: areas, roles, operators, counters, operation log, settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

from models.base import LongText, Text_, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ALL = ("sell refund reverse account_open account_close account_edit subsidy relay_control meter_read "
       "archive_edit tariff_edit settings_edit operator_admin backup restore report_view log_view shift").split()
ROLES = [
    ("super-admin", "Super administrator", sorted(ALL)),
    ("admin", "Administrator", sorted(set(ALL) - {"restore"})),
    ("cashier", "Cashier", sorted({"sell", "shift", "meter_read", "report_view"})),
    ("viewer", "Viewer", sorted({"report_view", "log_view"})),
]


def upgrade() -> None:
    op.create_table("sites",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", Text_(100), nullable=False, unique=True))
    op.create_table("buildings",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
                    sa.Column("name", Text_(100), nullable=False),
                    sa.UniqueConstraint("site_id", "name", name="uq_buildings_site_name"))
    roles = op.create_table("roles",
                            sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("name", sa.String(40), nullable=False, unique=True),
                            sa.Column("label", Text_(80), nullable=False),
                            sa.Column("builtin", sa.Boolean, nullable=False),
                            sa.Column("rights", sa.String(1000), nullable=False))
    op.create_table("operators",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", Text_(40), nullable=False, unique=True),
                    sa.Column("display_name", Text_(80), nullable=False),
                    sa.Column("role_id", sa.Integer, sa.ForeignKey("roles.id"), nullable=False),
                    sa.Column("password_hash", sa.String(200), nullable=False),
                    sa.Column("active", sa.Boolean, nullable=False),
                    sa.Column("all_areas", sa.Boolean, nullable=False),
                    sa.Column("failed_logins", sa.Integer, nullable=False),
                    sa.Column("locked_until", UTCDateTime(), nullable=True),
                    sa.Column("created_at", UTCDateTime(), nullable=False),
                    sa.Column("last_login", UTCDateTime(), nullable=True),
                    sa.CheckConstraint("failed_logins >= 0", name="failed_nonneg"))
    op.create_table("operator_areas",
                    sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), primary_key=True),
                    sa.Column("building_id", sa.Integer, sa.ForeignKey("buildings.id"), primary_key=True))
    counters = op.create_table("counters",
                               sa.Column("name", sa.String(40), primary_key=True),
                               sa.Column("value", sa.BigInteger, nullable=False))
    op.create_table("oplog",
                    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
                    sa.Column("at", UTCDateTime(), nullable=False, index=True),
                    sa.Column("operator", Text_(40), nullable=False, index=True),
                    sa.Column("station", Text_(80), nullable=False),
                    sa.Column("action", sa.String(60), nullable=False, index=True),
                    sa.Column("target", Text_(200), nullable=False),
                    sa.Column("details", LongText, nullable=False),
                    sa.Column("prev_hash", sa.String(64), nullable=False),
                    sa.Column("hash", sa.String(64), nullable=False))
    head = op.create_table("oplog_head",
                           sa.Column("id", sa.Integer, primary_key=True),
                           sa.Column("seq", sa.BigInteger, nullable=False),
                           sa.Column("hash", sa.String(64), nullable=False))
    op.create_table("settings",
                    sa.Column("key", sa.String(80), primary_key=True),
                    sa.Column("value", LongText, nullable=False),
                    sa.Column("updated_at", UTCDateTime(), nullable=False),
                    sa.Column("updated_by", Text_(40), nullable=False))
    op.bulk_insert(roles, [{"name": n, "label": label, "builtin": True, "rights": " ".join(r)}
                           for n, label, r in ROLES])
    op.bulk_insert(counters, [{"name": "oplog", "value": 0}])
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    for t in ("settings", "oplog_head", "oplog", "counters", "operator_areas", "operators", "roles",
              "buildings", "sites"):
        op.drop_table(t)

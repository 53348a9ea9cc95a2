"""Evidence fixtures: a super admin on a migrated database (both backends), a cashier."""
from __future__ import annotations

import pytest


@pytest.fixture
def root(superadmin):
    return superadmin


@pytest.fixture
def cashier(db, superadmin):
    from access import login as auth
    from access import operators as operator_service

    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    return auth.login(db, "cas", "pass-123", "TEST")

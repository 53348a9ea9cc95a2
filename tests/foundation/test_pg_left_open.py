"""A PostgreSQL connection collected while still open is reported with the test that made it."""
from __future__ import annotations

import gc
import warnings

import pytest

from tests.dbs import require_pg

pytestmark = pytest.mark.postgres


def test_an_open_connection_collected_later_names_the_test_that_made_it():
    require_pg()
    import psycopg

    conn = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        del conn
        gc.collect()
    texts = [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)]
    assert len(texts) == 1, texts
    assert "was deleted while still open" in texts[0]
    assert "test_an_open_connection_collected_later_names_the_test_that_made_it" in texts[0]
    assert "tests/foundation/test_pg_left_open.py:" in texts[0]


def test_a_closed_connection_says_nothing():
    require_pg()
    import psycopg

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test").close()
        gc.collect()
    assert [w for w in seen if issubclass(w.category, ResourceWarning)] == []

"""The station's service identity for tests and benchmarks that run `meterstation poll`
(access/service_identity.py): made on a database by the station's own actor, its name and
secret returned as the environment `poll` reads them from."""
from __future__ import annotations


def service_env(target, name: str = "service") -> dict[str, str]:
    """Create the service identity on `target` (a Database or a URL); returns
    {"METERSTATION_OPERATOR": name, "METERSTATION_PASSWORD": secret}."""
    from access.service_identity import make_identity
    from models.db import Database
    from models.rights import system_actor

    db = Database.open(target) if isinstance(target, str) else target
    try:
        secret = make_identity(db, system_actor("TEST"), name)
    finally:
        if isinstance(target, str):
            db.dispose()
    return {"METERSTATION_OPERATOR": name, "METERSTATION_PASSWORD": secret}

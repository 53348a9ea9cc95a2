"""The tariff engine (pure: api, model, days, schema, engine) and tariff plans in the
database (plan_store)."""

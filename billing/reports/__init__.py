"""Every report the station offers: the catalog, and one module per family (takings,
consumption, receivables, records, shifts, field)."""

"""The archive's services: places, links, meters and customers; queries, input rules and
file import/export (the tables are models/archive.py). Builds on models/ and billing/;
never comms/, printing/, station/ or ui/."""

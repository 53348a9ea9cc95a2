"""Meters / monitor board, control and alarms pages and their services."""

"""Timed remote control (定时通断电): the schedules (service), when they act
(occurrences), and running them (run)."""

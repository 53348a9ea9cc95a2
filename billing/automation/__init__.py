"""The station's unattended work: settlement after each reading, arrears control, and the
scheduled jobs (reading schedules, frozen data, clock sync, subsidies, postpaid bills, notices,
backups) with exactly-once catch-up. Qt-free; the GUI and `meterstation poll` both run it
through station.runtime.StationRuntime."""

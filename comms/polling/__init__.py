"""The poller: what is read when (read_schedule), plans built from the archive
(archive_plans), the outbox as a command source and command delivery, and the store
of what was read."""

"""Errors that carry one clear, translated message for a cashier or an administrator.

Every refusal or fault that reaches a user is a StationError: the CLI prints its message as one
line on stderr and exits 1; the GUI shows it in a message box. Anything else is a bug.
"""
from __future__ import annotations


class StationError(Exception):
    """Base of all user-facing errors. str(err) is the translated message."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(StationError):
    """The input is wrong (bad amount, unknown option, malformed file row)."""


class NotFound(StationError):
    """What the user named does not exist."""


class PermissionDenied(StationError):
    """The operator lacks the right (function or area) for this action."""


class AuthenticationFailed(StationError):
    """Wrong name or password, or the operator is locked."""


class Conflict(StationError):
    """The action clashes with the current state (closed account, already reversed...)."""


class DatabaseError(StationError):
    """The database is missing, locked, too new or unreachable."""


class ReadOnlyDatabase(DatabaseError):
    """The database (a read-only file) cannot be written: it can still be read."""

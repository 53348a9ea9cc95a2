"""Login, lockout, operators and roles (access/)."""

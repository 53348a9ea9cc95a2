"""Who may act: login and lockout (login.py), operators and roles (operators.py), password
hashes (passwords.py). The rights themselves and the Actor are models/rights.py."""

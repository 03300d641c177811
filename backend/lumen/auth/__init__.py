"""Accounts, sessions, 2FA, API tokens and roles (DESIGN.md, "Accounts, roles and audit")."""

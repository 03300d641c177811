"""Sign-in, sessions, 2FA, organisation sign-in and roles (DESIGN.md, "Accounts, roles and
audit")."""

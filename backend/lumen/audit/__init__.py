"""The tamper-evident audit log (HIPAA 45 CFR 164.312(b) audit controls, (c)(1) integrity)."""

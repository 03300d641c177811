"""The medical disclaimer sent with every answer (the ``disclaimer`` field of the SSE ``done``
event) and shown under it."""

from __future__ import annotations

DISCLAIMER = (
    "Lumen gives general information from cited sources, not medical advice. It cannot "
    "diagnose or treat you: consult a clinician (doctor, nurse or pharmacist) about your own "
    "health, and in an emergency call 911 or your local emergency number."
)

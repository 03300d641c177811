"""Lumen: medical question answering with cited, streamed answers."""

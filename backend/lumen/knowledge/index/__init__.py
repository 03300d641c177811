"""Vector index: one interface, Qdrant Edge (embedded) and Qdrant server implementations."""

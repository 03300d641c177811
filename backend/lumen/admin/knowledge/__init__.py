"""The knowledge base as the admin page ``/admin/knowledge`` reads it, beyond what the upload
routes give (``lumen.knowledge.uploads``): document and chunk counts per source and per
collection, documents filtered by when they were last updated, and re-running an ingestion job
on the source the operator gave it."""

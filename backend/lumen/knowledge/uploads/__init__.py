"""Documents admins upload: sniffing, parsing, storage, the ``ingest_upload`` job and the admin
routes (``/api/v1/admin/documents``, ``/api/v1/admin/uploads``)."""

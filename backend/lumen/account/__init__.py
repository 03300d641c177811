"""A user's own account: data export and deletion, personal API tokens."""

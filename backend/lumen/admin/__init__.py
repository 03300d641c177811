"""Administration: users, invitations and break glass."""

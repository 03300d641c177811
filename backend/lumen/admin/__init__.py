"""Administration routes: users and break glass."""

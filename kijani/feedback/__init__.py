"""Feedback: attendees rate an event (1 to 5) once it has ended."""

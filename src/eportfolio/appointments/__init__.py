"""Appointments of a participant: weekly coach meetings and her own, a calendar, iCalendar files
and reminders (docs/appointments.md)."""

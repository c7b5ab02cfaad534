"""Invitations: one-time codes that let a person of a programme (or a new administrator) join."""

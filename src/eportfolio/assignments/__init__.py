"""Assignments: modules given to participants, answers, feedback, review, completion, reminders."""

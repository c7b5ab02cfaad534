"""The end-to-end encrypted e-portfolio: items, goal plans, comments, attachments, epochs and grants."""

"""Where each role lives: the menu with its counts, a coach's caseload, and her "today"."""

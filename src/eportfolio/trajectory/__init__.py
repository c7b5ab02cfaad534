"""Her two-year trajectory: phases with planned and actual dates, outcomes, and reminders."""

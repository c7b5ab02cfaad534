"""In-app notifications: one list per person that every feature can add to (modules, chat)."""

"""A small instrument definition of an organisation's own, for the measurement tests."""

from __future__ import annotations

from typing import Any


def own_instrument(key: str = "weekly-check", version: int = 1, **changes: Any) -> dict[str, Any]:
    """A small instrument of the organisation's own: two domains on a 1-3 scale."""

    def texts(nl: str, en: str) -> dict[str, str]:
        return {"nl": nl, "en": en}

    return {
        "key": key,
        "version": version,
        "name": texts("Weekcheck", "Weekly check"),
        "description": texts("Hoe ging je week?", "How was your week?"),
        "levels": [
            {"value": 1, "name": texts("Zwaar", "Hard"), "description": texts("Het was zwaar.", "It was hard.")},
            {"value": 2, "name": texts("Gaat wel", "So-so"), "description": texts("Het ging wel.", "It was so-so.")},
            {"value": 3, "name": texts("Goed", "Good"), "description": texts("Het ging goed.", "It went well.")},
        ],
        "domains": [
            {
                "key": "rest",
                "name": texts("Rust", "Rest"),
                "description": texts("Slaap en rust.", "Sleep and rest."),
                "levels": [],
            },
            {
                "key": "money",
                "name": texts("Geld", "Money"),
                "description": texts("Rondkomen deze week.", "Getting by this week."),
                "levels": [{"value": 1, "description": texts("Geen geld voor eten.", "No money for food.")}],
            },
        ],
        **changes,
    }

"""The shared domain model: the vocabulary that API, pages and chat frames speak. No I/O here."""

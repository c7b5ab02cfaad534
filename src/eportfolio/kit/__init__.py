"""Shared plumbing every feature package uses: database, unit of work, errors, web kit."""

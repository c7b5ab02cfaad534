"""Organisations, programmes, groups, people, memberships with roles, and coach assignments."""

"""Accounts: invitations, sign-up, login, sessions and recovery on the end-to-end key hierarchy."""

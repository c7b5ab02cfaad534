"""Recovery: programme recovery with her consent and coach-assisted recovery; spans accounts and portfolio."""

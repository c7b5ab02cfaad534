"""Trust: organisation and programme signing keys, public identities, and signed coach assignments."""

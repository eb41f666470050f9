"""One blueprint per module, each named ``bp``."""

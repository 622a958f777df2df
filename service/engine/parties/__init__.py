"""Denied-party screening: list entries, name normalisation, a candidate index and scoring."""

"""The pages under /review, one module per part of the reviewer's work."""

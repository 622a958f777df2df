"""One module per kind of check; each returns findings that explain themselves."""

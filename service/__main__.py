"""`python -m service` is the same as the `export-screen` command."""

from service.cli import main

if __name__ == "__main__":
    main()

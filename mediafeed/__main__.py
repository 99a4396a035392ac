"""`python -m mediafeed` runs the command line."""

from mediafeed.cli import main

main()

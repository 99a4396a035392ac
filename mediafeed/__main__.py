"""`python -m mediafeed` runs the command line."""

from mediafeed.cli import main

if __name__ == "__main__":  # not when a build's worker process imports the main module
    main()

"""`python -m optviz` runs the command line."""

from optviz.cli import main

if __name__ == "__main__":
    main()

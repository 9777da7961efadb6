"""``python -m ansiscope``: the command line."""

from ansiscope.cli import main

main()

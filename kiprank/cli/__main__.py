"""``python -m kiprank.cli``: the kiprank command line."""

from . import main

main()

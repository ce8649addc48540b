"""``python -m kiprank``: the kiprank command line."""

from .cli import main

main()

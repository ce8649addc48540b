"""The ``kiprank`` command line: each command is a thin wrapper over a package function.

:mod:`~kiprank.cli.app` holds what the commands share (the group ``main``, the error handler, the
consoles and common options); the commands are grouped by what they work on."""

from .app import main
from . import documents, intake, ranking  # noqa: F401,E402  (each module adds its commands to main)

__all__ = ["main"]

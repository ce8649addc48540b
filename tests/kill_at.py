"""Run kiprank's command line and kill it (SIGKILL, as ``kill -9``) when publishing reaches a step.

    python tests/kill_at.py STEP [--two-renames] [--] ARGS...

``STEP`` is one of :data:`kiprank.core.publish.STEPS`; ``--two-renames`` publishes with the two
renames of systems without an atomic exchange. The kill tests run real processes through this
script; kiprank's own code holds no test hook, only the public seams it uses
(:func:`kiprank.core.publish.watch_steps`, :data:`kiprank.core.publish.ATOMIC_EXCHANGE`).
"""

from __future__ import annotations

import os
import signal
import sys


def main(argv: list[str]) -> int:
    from kiprank.core import publish

    step, args = argv[0], argv[1:]
    if step not in publish.STEPS:
        raise SystemExit(f"unknown step {step!r}: one of {', '.join(publish.STEPS)}")
    if args[:1] == ["--two-renames"]:
        publish.ATOMIC_EXCHANGE = False
        args = args[1:]
    if args[:1] == ["--"]:
        args = args[1:]

    def die(reached: str) -> None:
        if reached == step:
            os.kill(os.getpid(), signal.SIGKILL)

    publish.watch_steps(die)
    from kiprank.cli import main as kiprank

    return kiprank(args=args, prog_name="kiprank")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

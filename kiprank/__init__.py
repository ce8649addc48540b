"""kiprank: reproducible openness (KIP) rankings of public bodies.

inputs -> validated tables -> scores -> ranking -> report. See README.md.

This module is the package's face: the names a notebook or a user imports (``kiprank.score_region``,
``kiprank.load_methodology`` ...). They are imported on first use (PEP 562), so that ``import kiprank``
and commands that need no tables do not pay for pandas. The code lives in the layer folders:
``core`` <- ``intake``, ``analysis`` <- ``report``, ``letters``, ``site`` <- ``runs`` <- ``cli``.
"""

from .core.errors import InputValidationError, KiprankError, MethodologyError, UsageError
from .core.version import __version__


def __getattr__(name: str):
    if name in ("load_region",):
        from .core.inputs import load_region as value
    elif name in ("list_presets", "load_methodology"):
        from .core import methodology

        value = getattr(methodology, name)
    elif name in ("output_folder", "run_score", "score_region"):
        from .runs import pipeline

        value = getattr(pipeline, name)
    elif name == "score":
        from .core.scoring import score as value
    else:
        raise AttributeError(f"module 'kiprank' has no attribute '{name}'")
    globals()[name] = value
    return value


__all__ = [
    "__version__", "InputValidationError", "KiprankError", "MethodologyError", "UsageError",
    "load_region", "list_presets", "load_methodology", "output_folder", "run_score",
    "score_region", "score",
]

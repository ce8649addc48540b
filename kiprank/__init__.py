"""kiprank: reproducible openness (KIP) rankings of public bodies.

inputs -> validated tables -> scores -> ranking -> report. See README.md.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kiprank")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .errors import InputValidationError, KiprankError, MethodologyError, UsageError  # noqa: E402

# The rest of the API is imported on first use (PEP 562), so that ``import kiprank`` and commands
# that need no tables (``kiprank build`` with nothing to rebuild) do not pay for pandas.
_LAZY = {
    "load_region": "inputs", "list_presets": "methodology", "load_methodology": "methodology",
    "output_folder": "pipeline", "run_score": "pipeline", "score_region": "pipeline", "score": "scoring",
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kiprank' has no attribute '{name}'")

__all__ = [
    "__version__", "InputValidationError", "KiprankError", "MethodologyError", "UsageError",
    "load_region", "list_presets", "load_methodology", "output_folder", "run_score",
    "score_region", "score",
]

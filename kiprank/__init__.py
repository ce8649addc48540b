"""kiprank: reproducible openness (KIP) rankings of public bodies.

inputs -> validated tables -> scores -> ranking -> report. See README.md.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kiprank")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .errors import InputValidationError, KiprankError, MethodologyError, UsageError  # noqa: E402
from .inputs import load_region  # noqa: E402
from .methodology import list_presets, load_methodology  # noqa: E402
from .pipeline import output_folder, run_score, score_region  # noqa: E402
from .scoring import score  # noqa: E402

__all__ = [
    "__version__", "InputValidationError", "KiprankError", "MethodologyError", "UsageError",
    "load_region", "list_presets", "load_methodology", "output_folder", "run_score",
    "score_region", "score",
]

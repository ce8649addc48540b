"""Moved: the report build is :mod:`kiprank.report.build` (this name is kept for callers)."""

from .report.build import *  # noqa: F401,F403
from .report.build import (FONTS_DIR, KERNEL_ARGUMENTS, KERNEL_NAME, NOTEBOOK_NAME, TEMPLATE_NAME,  # noqa: F401
                           TEMPLATES_DIR, WARM_UP, StepClock, _export_html, _Kernel, _run_notebook, _this_python_specs)

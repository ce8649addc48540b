"""Running a notebook with papermill, in a kernel kiprank started: the papermill engine ``kiprank``.

:class:`WarmKernelEngine` is papermill's nbclient engine given a
:class:`~kiprank.runs.kernels.WarmKernel` (``kernel=``): nbclient runs the notebook through that
kernel's manager and already connected client (``NotebookClient.km`` / ``.kc``, its public
attributes: a client it did not create is neither waited for nor closed). It is registered with
papermill under the name ``kiprank`` when this module is imported
(``papermill.engines.papermill_engines.register``); without ``kernel=`` it behaves exactly as
papermill's default engine. :func:`run_notebook` is the notebook step of every build.
"""

from __future__ import annotations

from pathlib import Path

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

from ..core.errors import ReportError
from .kernels import KERNEL_NAME, WarmKernel

ENGINE_NAME = "kiprank"
# Seconds to wait for a cell's output once the kernel has said the cell is done. nbclient's default
# is 4 s and papermill makes running past it an error: on a busy machine (a batch worker, a laptop
# doing other work) a finished cell's output can come later than that, and the report failed.
IOPUB_TIMEOUT = 120


class WarmKernelEngine(NBClientEngine):
    """papermill's nbclient engine running the notebook in a given warm kernel (``kernel=``)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, kernel: WarmKernel | None = None,
                                 **kwargs):
        if kernel is None:
            return super().execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                                    stdout_file=stdout_file, stderr_file=stderr_file,
                                                    start_timeout=start_timeout, execution_timeout=execution_timeout,
                                                    **kwargs)
        options = {k: v for k, v in kwargs.items() if k not in ("input_path", "timeout", "startup_timeout", "km")}
        client = PapermillNotebookClient(nb_man, km=kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                                         kernel_name=kernel_name, log=logger, log_output=log_output,
                                         stdout_file=stdout_file, stderr_file=stderr_file, **options)
        client.kc = kernel.client
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def run_notebook(source: Path, output: Path, parameters: dict, kernel: WarmKernel | None = None,
                 execution_timeout: float | None = None):
    """Execute the notebook ``source`` with papermill into ``output`` (in ``kernel`` if given, else
    in a kernel papermill starts) and return the executed notebook node; a failure is a
    :class:`~kiprank.core.errors.ReportError` of the step ``notebook`` (for an error of the
    notebook's code: the cell and the exception, :func:`describe_cell_error`)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if not source.is_file():
        raise ReportError("notebook", f"notebook {source} does not exist")
    extra = {"kernel": kernel} if kernel is not None else {}
    extra["iopub_timeout"] = IOPUB_TIMEOUT
    if execution_timeout is not None:
        extra["execution_timeout"] = execution_timeout
    try:
        return pm.execute_notebook(
            str(source), str(output), parameters=parameters, engine_name=ENGINE_NAME, kernel_name=KERNEL_NAME,
            language="python", progress_bar=False, log_output=False, report_mode=False,
            request_save_on_cell_execute=False, **extra,
        )
    except PapermillExecutionError as exc:
        raise ReportError("notebook", describe_cell_error(exc)) from None
    except Exception as exc:  # kernel died, timeout, unreadable notebook, ...
        raise ReportError("notebook", f"{type(exc).__name__}: {first_lines(str(exc))}") from exc


def describe_cell_error(exc) -> str:
    """'cell 4 (`rep = report.prepare(...)`): InputValidationError: ...' from a PapermillExecutionError."""
    lines = [ln for ln in (exc.source or "").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    code = lines[0].strip() if lines else ""
    if len(code) > 70:
        code = code[:67] + "..."
    where = f"cell {exc.exec_count}" if exc.exec_count else f"cell index {exc.cell_index}"
    if code:
        where += f" (`{code}`)"
    return f"{where}: {exc.ename}: {first_lines(str(exc.evalue), 12)}"


def first_lines(text: str, n: int = 3) -> str:
    """The first ``n`` lines of ``text``, and how many more there were."""
    lines = text.strip().splitlines()
    return "\n".join(lines[:n]) + (f"\n... ({len(lines) - n} more lines)" if len(lines) > n else "")


__all__ = ["WarmKernelEngine", "ENGINE_NAME", "run_notebook", "describe_cell_error", "first_lines"]

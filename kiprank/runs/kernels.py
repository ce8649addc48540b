"""Notebook kernels kiprank starts: started early, with the report's libraries already loaded, and
held with a connected client, so that a notebook runs in them without waiting.

:class:`WarmKernel` is one such kernel (a jupyter_client ``AsyncKernelManager`` and its
``AsyncKernelClient``); the papermill engine of :mod:`kiprank.runs.engine` runs a notebook in it
through nbclient's public API. ``kiprank report`` starts one in the background
(:class:`KernelStarter`) while it validates the inputs; a batch worker keeps one per worker thread
between reports and resets its namespace before each (:mod:`kiprank.runs.kernel_slots`).

Known failures of parallel kernels, and what is done about them: jupyter_client picks "free" TCP
ports by binding and releasing them, and two kernels started at the same moment by different
processes can pick the same port (the kernel then dies at start): kernels here use the ``ipc``
transport on POSIX (Unix sockets in a private temporary folder, no ports). The kernel is always the
running Python (:func:`this_python_specs`), whatever ``python3`` kernelspec a user has installed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from pathlib import Path

from ..core.errors import KiprankError

KERNEL_NAME = "python3"
KERNEL_START_TIMEOUT = 120.0
# Options of the kernels kiprank starts: no IPython history database (a write to an SQLite file
# after every cell, which nobody reads back for a published report); the working folder not on the
# import path (IPython puts it there), so that a ``kiprank`` folder where the user runs the command
# (another checkout) is never imported in place of the installed package the command runs.
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False", "--InteractiveShellApp.ignore_cwd=True")
# What the report notebook imports: loaded into the kernel while the build checks the inputs.
# Then the objects of those libraries are moved out of the garbage collector's sight
# (``gc.freeze``): they live as long as the kernel, and every full collection (automatic ones, and
# the one of each namespace reset in a batch worker's kernel) no longer walks through them.
WARM_UP = ("import kiprank.report, kiprank.report.charts, matplotlib.figure, matplotlib.backends.backend_svg, "
           "IPython.display; __import__('gc').collect(); __import__('gc').freeze()")
# Clears a used kernel for the next report; what the last report imported stays loaded and is frozen.
RESET = "get_ipython().reset(new_session=True); __import__('gc').freeze()"


class KernelStartError(KiprankError):
    """The notebook kernel did not start or did not answer (a batch job is retried once)."""

    exit_code = 3


def this_python_specs():
    """Kernel specs in which ``python3`` is always the running interpreter (this venv), even when a
    user-level ``python3`` kernelspec points at another Python."""
    import sys

    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name == KERNEL_NAME:
                return KernelSpec(argv=[sys.executable, "-P", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                  display_name="Python 3 (kiprank)", language="python", resource_dir="")
            return super().get_kernel_spec(kernel_name)

    return ThisPythonSpecs()


class WarmKernel:
    """A started kernel with the report's libraries loaded (:data:`WARM_UP`) and a connected client.

    ``km`` and ``client`` are None before :meth:`start` and after :meth:`shutdown`. The client stays
    connected between notebooks: nbclient takes a given client as it is (no new connection, no
    wait for a kernel known to be ready), and ignores messages answering another request.
    ``reports`` counts the notebooks run in it; ``owner`` is the thread it was made for.
    """

    def __init__(self, cwd: Path | str | None = None, owner: threading.Thread | None = None):
        self.cwd = Path(cwd or Path.cwd())
        self.tmp = Path(tempfile.mkdtemp(prefix="kiprank-kernel-"))
        self.km = None
        self.client = None
        self.reports = 0
        self.owner = owner or threading.current_thread()

    def start(self, timeout: float = KERNEL_START_TIMEOUT, warm_up: str = WARM_UP) -> "WarmKernel":
        """Start the kernel and load ``warm_up`` into it; :class:`KernelStartError` (and nothing left
        running) when it does not start or answer within ``timeout`` seconds."""
        try:
            asyncio.run(self._start(timeout, warm_up))
        except Exception as exc:
            self.shutdown()
            raise KernelStartError(f"the notebook kernel did not start: {type(exc).__name__}: {exc}") from exc
        return self

    async def _start(self, timeout: float, warm_up: str) -> None:
        from jupyter_client.manager import AsyncKernelManager

        options = {"transport": "ipc", "ip": str(self.tmp / "ipc")} if os.name == "posix" else {}
        km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=this_python_specs(), **options)
        km.connection_file = str(self.tmp / "kernel.json")
        self.km = km
        # the kernel's own stdout/stderr (start-up chatter) is kept aside: what a notebook prints goes
        # through the kernel protocol
        with open(self.tmp / "kernel.log", "ab") as log:
            await km.start_kernel(cwd=str(self.cwd), stdout=log, stderr=log, extra_arguments=list(KERNEL_ARGUMENTS))
        client = km.client()
        client.allow_stdin = False
        client.start_channels()
        self.client = client
        await client.wait_for_ready(timeout=timeout)
        await self._execute(warm_up, timeout)

    async def _execute(self, code: str, timeout: float) -> None:
        reply = await self.client.execute_interactive(code, silent=True, store_history=False, timeout=timeout,
                                                      output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def reset(self, timeout: float = 60) -> None:
        """Clear the user namespace (imports stay loaded); raise when the kernel is gone or stuck."""

        async def run():
            if self.km is None or not await self.km.is_alive():
                raise RuntimeError("the kernel is not running")
            await self._execute(RESET, timeout)

        asyncio.run(run())

    def kill(self) -> None:
        """Kill the kernel's process at once and remove its folder (the process is going away)."""
        try:
            process = self.km.provisioner.process
            if process is not None:
                process.kill()
        except Exception:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop the client and the kernel and remove its folder (idempotent)."""
        km, self.km = self.km, None
        client, self.client = self.client, None
        if client is not None:
            try:
                client.stop_channels()
            except Exception:
                pass
        if km is not None:
            try:
                asyncio.run(km.shutdown_kernel(now=True))
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class KernelStarter(threading.Thread):
    """Starts a :class:`WarmKernel` in a thread, so that the kernel (a separate process) imports
    pandas, matplotlib and kiprank while this process validates the inputs and imports nbconvert.

    :meth:`ready` waits for it; a kernel that did not start gives None (the notebook step then
    starts its own kernel, and reports the failure if that one fails too). :meth:`cancel` stops the
    kernel, at once or as soon as it has started, without waiting for it."""

    def __init__(self, kernel: WarmKernel | None = None):
        super().__init__(daemon=True, name="kiprank-kernel")
        self.kernel = kernel if kernel is not None else WarmKernel()
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._done = self._cancelled = False

    def run(self):
        try:
            self.kernel.start()
        except BaseException as exc:
            self.error = exc
        with self._lock:
            self._done = True
            cancelled = self._cancelled
        if cancelled:
            self.kernel.shutdown()

    def ready(self) -> WarmKernel | None:
        self.join()
        return None if self.error is not None else self.kernel

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if not self._done:
                return  # run() shuts it down once started
        self.kernel.shutdown()


__all__ = ["WarmKernel", "KernelStarter", "KernelStartError", "this_python_specs", "KERNEL_NAME",
           "KERNEL_ARGUMENTS", "KERNEL_START_TIMEOUT", "WARM_UP"]

"""Batch builds: the reports of every region of one or more years in one command, in parallel,
incremental, on this machine or on a Dask cluster (``kiprank build``).

Plan (:func:`plan_jobs`): one job per ``inputs/<year>/<region>/`` folder (every sub-folder of the
year, or the ``--regions`` asked for). Each job is the same build as ``kiprank report``
(:func:`kiprank.runs.report.build_report`): validated inputs, the notebook run by papermill,
nbconvert HTML, Typst PDF, tables, published atomically.

Incremental: before anything starts, the main process compares each job with the
``manifest.json`` of its last successful build (:func:`stale_reason`): the recorded SHA-256 of the
input files, of the methodology and of the notebook, the kiprank and library versions, the
language (and the report date when ``--date`` is given), and the hashes of the published report
files. Only hashes are computed (:func:`current_fingerprint`; no validation, no scoring), so a
build with nothing changed takes about as long as starting Python. ``--force`` rebuilds all.
Input files are compared by content: touching a file without changing it rebuilds nothing.

Workers (:func:`run_job`): local processes (a ``ProcessPoolExecutor`` with the ``forkserver``
start method on POSIX, ``spawn`` elsewhere; never ``fork``, which copies the parent's threads and
locks) or the workers of a Dask distributed cluster (``--scheduler tcp://HOST:PORT``). A worker
builds many reports and keeps its imports (pandas, nbconvert, Typst) and one notebook kernel
warm between them: starting a kernel and importing pandas and matplotlib into it costs seconds of
CPU per report, a third of the work of a small report. Before each report the kernel's namespace is
reset (``InteractiveShell.reset``), so each report runs exactly the notebook ``kiprank report``
runs and the report is the same; a kernel that failed, hung or died is discarded and replaced.
The kernel's libraries are frozen out of the garbage collector (``gc.freeze``, see
``reportbuild.WARM_UP``), so the full collection of each reset takes milliseconds, not a tenth
of a second; the worker keeps its HTML exporters (compiled templates) and one Typst compiler.
Jobs go to the local workers in batches (:func:`chunk_sizes`: large first, single jobs at the
end) and a worker overlaps the jobs of a batch (:func:`run_jobs`): the next report's notebook runs
in the kernel while the worker writes the previous report's HTML, PDF and tables (Typst typesets
outside the GIL), instead of the kernel waiting for the worker and the worker for the kernel. The
warm kernel's client skips the 0.2 s IOPub wait of jupyter_client's ``wait_for_ready``
(:func:`_quick_client_class`). Where a report's time goes (CPU seconds, per report): the kernel
about 0.6 (charts about half of it, the score sheets of the annex a fifth), the worker about 0.65
(Typst about 0.4 of it, in 0.3 s; validation and scoring about 0.1; papermill's bookkeeping, HTML,
tables); see ``benchmarks/bench_batch.py``.

Known failures of parallel papermill kernels, and what is done about them:

- port collisions: jupyter_client picks "free" TCP ports by binding and releasing them, and two
  kernels started at the same moment by different processes can pick the same port; the kernel
  then dies at start. Warm kernels here use the ``ipc`` transport (Unix sockets in a private
  temporary folder, no ports) on POSIX;
- hung kernels (a cell that never returns, a kernel that stops answering): every cell has a
  timeout (papermill ``execution_timeout``, ``--cell-timeout``, default 600 s), so a job fails
  instead of blocking the batch;
- kernels that die or do not start (``RuntimeError`` / ``TimeoutError`` from jupyter_client or
  nbclient, e.g. "Kernel died before replying to kernel_info", ``DeadKernelError``, a cell timeout):
  the job is retried once with a new kernel; an error in the notebook's own code is not retried.

One region failing does not stop the others; its short reason (the first line of the
:class:`~kiprank.core.errors.KiprankError` message) is shown in the summary. After every build
``<outputs_root>/index.html`` is regenerated from what is on disk (:func:`write_index`).

On a cluster, every worker needs the same kiprank installed, and ``--inputs-root`` and
``--outputs-root`` must be on a file system that the workers see at the same path (paths are sent
as absolute paths). Use one thread per worker (``dask worker --nthreads 1``): a report job already
uses more than one core at times.
"""

from __future__ import annotations

import csv
import functools
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from ..core.errors import KiprankError, UsageError
from ..core.files import read_json_object
from ..core.files import PRESET_DIR, sha256_file
from ..core.resources import NOTEBOOKS_DIR, TEMPLATES_DIR
from .manifest import methodology_file as recorded_methodology_file, recorded_folder

MANIFEST = "manifest.json"
INDEX = "index.html"
STATUS_BUILT, STATUS_SKIPPED, STATUS_FAILED = "built", "up to date", "failed"
INPUT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".yml", ".yaml")
DEFAULT_CELL_TIMEOUT = 600.0
KERNEL_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Job:
    """One report to build. Paths are absolute (they are sent to other processes or machines)."""

    year: int
    region: str
    inputs_root: str
    outputs_root: str
    lang: str = "id"
    report_date: str | None = None
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT
    pdf_standard: str | None = None
    letters: bool = False  # also write the result letters (kiprank letters) after the report

    @property
    def input_folder(self) -> Path:
        return Path(self.inputs_root) / str(self.year) / self.region

    @property
    def output_folder(self) -> Path:
        return Path(self.outputs_root) / str(self.year) / self.region


@dataclass
class JobResult:
    """What became of a job: ``status`` is ``built``, ``up to date`` or ``failed`` (with ``reason``)."""

    year: int
    region: str
    status: str
    seconds: float
    folder: str
    bodies: int | None = None
    reason: str = ""
    attempts: int = 0
    stale: str = ""  # why the job had to be built (e.g. "input changed: saq.csv")
    worker: str = ""

    @property
    def ok(self) -> bool:
        return self.status != STATUS_FAILED

    def to_dict(self) -> dict:
        return asdict(self)


# -- planning ----------------------------------------------------------------------------------

def plan_jobs(years, regions=(), inputs_root: Path | str = "inputs", outputs_root: Path | str = "outputs",
              lang: str = "id", report_date: str | None = None,
              cell_timeout: float | None = DEFAULT_CELL_TIMEOUT, pdf_standard: str | None = None,
              letters: bool = False) -> list[Job]:
    """One job per region folder of each year (every sub-folder of ``<inputs_root>/<year>/`` not
    starting with ``.`` or ``_``), or only ``regions``. A year folder that is missing, or a region
    asked for that is in none of the years, is a :class:`~kiprank.core.errors.UsageError`."""
    if not years:
        raise UsageError("give at least one year (--year 2022 or --years 2018 2019)")
    inputs_root, outputs_root = Path(inputs_root).resolve(), Path(outputs_root).resolve()
    wanted = list(dict.fromkeys(regions))  # only names of existing folders are used: no path tricks
    jobs, found = [], set()
    for year in dict.fromkeys(years):
        folder = inputs_root / str(int(year))
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")
        present = sorted(p.name for p in folder.iterdir()
                         if p.is_dir() and not p.name.startswith((".", "_")))
        for region in (r for r in present if not wanted or r in wanted):
            found.add(region)
            jobs.append(Job(int(year), region, str(inputs_root), str(outputs_root), lang, report_date, cell_timeout,
                            pdf_standard, letters))
    missing = [r for r in wanted if r not in found]
    if missing:
        raise UsageError(f"no input folder for region(s) {', '.join(missing)} under "
                         + ", ".join(str(inputs_root / str(y)) for y in dict.fromkeys(years)))
    if not jobs:
        raise UsageError("no region folders under " + ", ".join(str(inputs_root / str(y)) for y in years))
    return jobs


# -- incremental: what a job was built from ----------------------------------------------------

def _is_input_name(name: str) -> bool:
    """Files that can be read as inputs (tables, region.yml, a workbook); others (README.md, notes)
    cannot change a report. Hidden files and Excel's ``~$`` lock files are ignored."""
    return not name.startswith((".", "~$")) and name.lower().endswith(INPUT_SUFFIXES)


def report_notebook() -> Path:
    """The notebook ``kiprank report`` runs: the same search as
    :func:`kiprank.runs.report.default_notebook` (repeated here so that checking what is up to date
    does not import pandas; a test keeps the two in step)."""
    candidate = NOTEBOOKS_DIR / "ranking_report.ipynb"
    if candidate.is_file():
        return candidate
    from .report import default_notebook

    return default_notebook()  # raises the proper ReportError


def methodology_file(ref: str, base_dir: Path) -> Path:
    """The file a methodology reference names: the rule of
    :func:`kiprank.core.methodology.resolve_methodology_path` (a preset id, else a path relative to the
    region folder), repeated here because importing that module (pydantic, numpy) costs more than
    checking a whole year of regions. Raises FileNotFoundError when there is no such file."""
    preset = PRESET_DIR / f"{ref}.yml"
    if preset.is_file() and "/" not in ref:
        return preset
    path = Path(ref)
    if not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


@functools.lru_cache(maxsize=None)
def installed_version(name: str) -> str:
    """The installed version of a distribution, as :func:`kiprank.runs.manifest.library_versions` records it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def current_fingerprint(year: int | str, region: str, inputs_root: Path | str = "inputs", lang: str = "id",
                        report_date: str | None = None, notebook: Path | None = None,
                        pdf_standard: str | None = None) -> dict:
    """What a build of this region would be made from now, from file hashes only (no validation):
    every file of the region folder, the methodology file named in ``region.yml``, the notebook,
    kiprank's version and the hash of its files, and the parameters (``robustness``: whether the
    methodology asks for the robustness section). Fields that cannot be worked out (a broken
    ``region.yml``) are None, which never matches a manifest."""
    from ..core.version import __version__, code_sha256

    folder = Path(inputs_root) / str(year) / region
    files = {}
    if folder.is_dir():
        files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
    methodology = robustness = None
    try:
        path = methodology_file(str(_yaml(folder / "region.yml")["methodology"]), folder)
        methodology = {"path": str(path), "sha256": sha256_file(path)}
        robustness = bool(((_yaml(path) or {}).get("robustness") or {}).get("report", False))
    except Exception:  # a broken region.yml or methodology: the build reports it properly
        pass
    notebook = Path(notebook) if notebook is not None else report_notebook()
    return {
        "kiprank_version": __version__,
        "code_sha256": code_sha256(),
        "inputs_folder": str(folder),
        "inputs": files,
        "methodology": methodology,
        "notebook": {"path": Path(notebook).name, "sha256": sha256_file(notebook)},
        "parameters": {"lang": lang, "report_date": report_date, "pdf_standard": pdf_standard or "auto",
                       "robustness": robustness},
    }


def read_manifest(folder: Path) -> dict | None:
    """The manifest.json of an outputs folder, or None when there is none (or it is unreadable)."""
    return read_json_object(Path(folder) / MANIFEST)


def stale_reason(manifest: dict | None, current: dict, check_libraries: bool = True,
                 folder: Path | None = None) -> str | None:
    """Why a job must be built again (a short text), or None when its last build is up to date.

    Compares the manifest of the last build with :func:`current_fingerprint`: the report files it
    recorded (present, same hash), the kiprank version, the library versions (when given), the
    notebook, the methodology and every input file it recorded; an input-like file (``.csv``,
    ``.xlsx``, ``.yml``) that it did not record, the language, and the report date when one is
    asked for (without ``--date`` a report is not rebuilt just because the day changed).
    """
    if manifest is None:
        return "not built yet"
    try:
        outputs = manifest.get("outputs") or {}
        if "report.pdf" not in outputs or "report.html" not in outputs:
            return "no report in the last run"
        if folder is not None:
            for name, digest in outputs.items():
                path = Path(folder) / name
                if not path.is_file() or sha256_file(path) != digest:
                    return f"output changed or missing: {name}"
        if manifest.get("kiprank_version") != current["kiprank_version"]:
            return f"kiprank version changed ({manifest.get('kiprank_version')} -> {current['kiprank_version']})"
        if manifest.get("code_sha256") != current["code_sha256"]:
            return "kiprank code changed (its files differ from those the last build was made with)"
        if check_libraries:
            changed = sorted(name for name, recorded in (manifest.get("libraries") or {}).items()
                             if installed_version(name) != recorded)
            if changed:
                return "library versions changed: " + ", ".join(changed)
        if (manifest.get("notebook") or {}).get("sha256") != current["notebook"]["sha256"]:
            return "notebook changed"
        if current["methodology"] is None:
            return "region.yml or methodology not readable"
        if manifest["methodology"]["sha256"] != current["methodology"]["sha256"]:
            return "methodology changed"
        recorded = manifest["inputs"]
        files = current["inputs"]
        for name, digest in sorted(recorded.items()):
            now = files.get(name)
            path = Path(name) if Path(name).is_absolute() else Path(current["inputs_folder"]) / name
            if now is None and path.is_file():  # a file the inputs name outside the folder's top level (a logo)
                now = sha256_file(path)
            if now is None:
                return f"input missing: {name}"
            if now != digest:
                return f"input changed: {name}"
        method_file = Path(str((current["methodology"] or {}).get("path") or ""))
        for name in sorted(files):
            if name not in recorded and _is_input_name(name):
                if method_file.name == name and method_file.parent.resolve() == Path(current["inputs_folder"]).resolve():
                    continue  # the methodology file kept in the region folder: compared above
                return f"new input file: {name}"
        parameters = manifest.get("parameters") or {}
        wanted = current["parameters"]
        if parameters.get("lang") != wanted["lang"]:
            return f"language {parameters.get('lang')} -> {wanted['lang']}"
        if wanted.get("report_date") and str(parameters.get("report_date")) != str(wanted["report_date"]):
            return f"report date {parameters.get('report_date')} -> {wanted['report_date']}"
        if parameters.get("pdf_standard", "auto") != wanted.get("pdf_standard", "auto"):
            return f"--pdf-standard changed ({parameters.get('pdf_standard', 'auto')} -> {wanted['pdf_standard']})"
        if wanted.get("robustness") is not None and bool(parameters.get("robustness")) != wanted["robustness"]:
            return (f"robustness section {'wanted' if wanted['robustness'] else 'not wanted'} (the methodology's "
                    "robustness.report), the last build " + ("has it" if parameters.get("robustness") else "has not"))
    except (KeyError, TypeError, AttributeError) as exc:  # a manifest of another shape
        return f"manifest not understood ({type(exc).__name__}: {exc})"
    return None


def check_job(job: Job, notebook: Path | None = None) -> str | None:
    """:func:`stale_reason` of a job (None: up to date)."""
    current = current_fingerprint(job.year, job.region, job.inputs_root, job.lang, job.report_date, notebook,
                                  job.pdf_standard)
    manifest = read_manifest(job.output_folder)
    reason = stale_reason(manifest, current, True, job.output_folder)
    if reason is None and job.letters:
        settings = ((manifest.get("sections") or {}).get("letters") or {}).get("settings") or {}
        if settings.get("lang") != job.lang or settings.get("bodies") != "all":
            return "no letters yet"
        if settings.get("pdf_standard_asked", "auto") != (job.pdf_standard or "auto"):
            return f"letters: --pdf-standard changed ({settings.get('pdf_standard_asked', 'auto')} -> " \
                   f"{job.pdf_standard or 'auto'})"
    return reason


# -- worker side -------------------------------------------------------------------------------

class KernelStartError(KiprankError):
    """The notebook kernel did not start or did not answer (retried once)."""

    exit_code = 3


class WarmKernel:
    """A notebook kernel kept between the reports one worker (thread) builds.

    Started once with the report's libraries imported (``reportbuild.WARM_UP``); before each report
    the user namespace is reset. Uses the ``ipc`` transport on POSIX (no TCP ports to collide).
    """

    def __init__(self, cwd: Path | None = None, owner: threading.Thread | None = None):
        self.cwd = Path(cwd or Path.cwd())
        self.tmp = Path(tempfile.mkdtemp(prefix="kiprank-kernel-"))
        self.km = None
        self.reports = 0
        self.owner = owner or threading.current_thread()

    def start(self, timeout: float = KERNEL_START_TIMEOUT) -> "WarmKernel":
        from . import report as reportbuild

        warm_up = getattr(reportbuild, "WARM_UP", "import kiprank.report")
        try:
            import asyncio

            asyncio.run(self._start(timeout, warm_up))
        except Exception as exc:
            self.shutdown()
            raise KernelStartError(f"the notebook kernel did not start: {type(exc).__name__}: {exc}") from exc
        return self

    async def _start(self, timeout: float, warm_up: str) -> None:
        from jupyter_client.manager import AsyncKernelManager

        from .report import KERNEL_ARGUMENTS, KERNEL_NAME

        options = {"transport": "ipc", "ip": str(self.tmp / "ipc")} if os.name == "posix" else {}
        km = AsyncKernelManager(kernel_name=KERNEL_NAME, **options)
        km.client_factory = _quick_client_class()
        km.connection_file = str(self.tmp / "kernel.json")
        self.km = km
        with open(self.tmp / "kernel.log", "ab") as log:
            await km.start_kernel(cwd=str(self.cwd), stdout=log, stderr=log,
                                  extra_arguments=list(KERNEL_ARGUMENTS))
        await self._execute(warm_up, timeout)

    async def _execute(self, code: str, timeout: float, wait: bool = True) -> None:
        kc = self.km.client()
        kc.start_channels()
        try:
            if wait:  # a new kernel: wait until it answers
                await kc.wait_for_ready(timeout=timeout)
            reply = await kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout,
                                                 output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def reset(self, timeout: float = 60) -> None:
        """Clear the user namespace (imports stay loaded); raise when the kernel is gone or stuck."""
        import asyncio

        async def run():
            if not await self.km.is_alive():
                raise RuntimeError("the kernel is not running")
            # the reset's full collection is short once the libraries are frozen (reportbuild.WARM_UP);
            # what the last report imported is frozen too, so the next collections skip it
            await self._execute("get_ipython().reset(new_session=False); __import__('gc').freeze()", timeout,
                                wait=False)

        asyncio.run(run())

    def shutdown(self) -> None:
        km, self.km = self.km, None
        if km is not None:
            import asyncio

            try:
                asyncio.run(km.shutdown_kernel(now=True))
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class _Slot:
    """The warm kernel of one worker thread (and of the job threads :func:`run_jobs` starts for it)."""

    def __init__(self):
        self.kernel: WarmKernel | None = None
        self.pending = None  # (thread, outcome) of a kernel being started in the background
        self.owner = threading.current_thread()


@functools.lru_cache(maxsize=None)
def _quick_client_class():
    """jupyter_client's AsyncKernelClient whose ``wait_for_ready`` (papermill calls it before every
    notebook) does not end by waiting 0.2 s for IOPub messages that do not come: it drains the
    messages already there. Stale IOPub messages are harmless anyway: nbclient only takes those
    whose parent is the request it sent. With a warm kernel that wait was a fifth of a second of
    every report in which neither the worker nor its kernel worked."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class QuickKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.time() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # IOPub is connected: the kernel's status message comes through it
                            await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.time() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:  # drain IOPub, without waiting for more
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.005))
                except Empty:
                    break

    return QuickKernelClient


_worker = threading.local()


def _slot() -> _Slot:
    slot = getattr(_worker, "slot", None)
    if slot is None:
        slot = _worker.slot = _Slot()
    return slot
_all_kernels: list[WarmKernel] = []
_lock = threading.Lock()


def _shutdown_kernels() -> None:
    with _lock:
        kernels = list(_all_kernels)
        _all_kernels.clear()
    for kernel in kernels:
        kernel.shutdown()


def _register_cleanup() -> None:
    """Shut warm kernels down when the process ends: ``atexit`` for a normal interpreter exit,
    a multiprocessing finaliser for pool workers (they end with ``os._exit``, skipping atexit)."""
    if getattr(_register_cleanup, "done", False):
        return
    import atexit
    from multiprocessing import util

    atexit.register(_shutdown_kernels)
    util.Finalize(None, _shutdown_kernels, exitpriority=100)
    _register_cleanup.done = True


def _warm_kernel() -> WarmKernel:
    """This thread's kernel, started (or started again) when needed and reset for a new report."""
    slot = _slot()
    pending = slot.pending
    if pending is not None:  # being started in the background since _init_worker
        slot.pending = None
        thread, outcome = pending
        thread.join()
        if "error" in outcome:
            _discard_kernel()
            raise outcome["error"]
    kernel = slot.kernel
    if kernel is not None and kernel.km is not None and kernel.reports:
        try:
            kernel.reset()
        except Exception:
            _discard_kernel()
            kernel = None
    if kernel is None or kernel.km is None:
        _discard_kernel()
        kernel = _new_kernel()
        kernel.start()
    return kernel


def _new_kernel() -> WarmKernel:
    """A kernel (not yet started) owned by this thread and shut down when the process ends.
    Kernels of threads that have ended (a Dask worker may replace its threads) are shut down."""
    _register_cleanup()
    slot = _slot()
    kernel = WarmKernel(owner=slot.owner)
    with _lock:
        orphans = [k for k in _all_kernels if not k.owner.is_alive()]
        for orphan in orphans:
            _all_kernels.remove(orphan)
        _all_kernels.append(kernel)
    for orphan in orphans:
        orphan.shutdown()
    slot.kernel = kernel
    return kernel


def _discard_kernel() -> None:
    slot = _slot()
    kernel, slot.kernel = slot.kernel, None
    if kernel is not None:
        with _lock:
            if kernel in _all_kernels:
                _all_kernels.remove(kernel)
        kernel.shutdown()


def die_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Make this worker process end when the ``kiprank build`` that started it ends, however it
    ends (``kill -9`` included), taking its notebook kernels along:

    - on Linux, ``PR_SET_PDEATHSIG`` (through ctypes): the kernel sends SIGTERM to this process
      the moment its parent process (the pool's fork server or the main process) dies;
    - everywhere (Windows, macOS, and as a second line on Linux), a watchdog thread checks every
      ``interval`` seconds that ``parent_pid`` still runs (the same process: its start time is
      compared, so a re-used id does not fool it); when it is gone, the kernels are shut down and
      the process exits.

    Where neither the system call nor psutil is available, the watchdog uses ``os.kill(pid, 0)``
    (POSIX) and otherwise does nothing: degraded, not broken."""
    import signal

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    try:
        signal.signal(signal.SIGTERM, lambda *_: _exit_now(143))
    except (ValueError, OSError):  # not the main thread (a Dask worker): the watchdog still runs
        pass
    alive = _process_probe(parent_pid)
    if alive is None:
        return

    def watch():
        while True:
            time.sleep(interval)
            if not alive():
                _exit_now(1)

    threading.Thread(target=watch, name="kiprank-parent-watchdog", daemon=True).start()


def _exit_now(code: int) -> None:
    """Shut this worker's kernels down and leave at once (the build that wanted them is gone)."""
    try:
        _kill_kernels()
    finally:
        os._exit(code)


def _kill_kernels() -> None:
    with _lock:
        kernels = list(_all_kernels)
    for kernel in kernels:
        km = kernel.km
        try:
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            if proc is not None:
                proc.kill()
        except Exception:
            pass
        shutil.rmtree(kernel.tmp, ignore_errors=True)


def _process_probe(pid: int):
    """A function telling whether process ``pid`` (as it is now) still runs; None when unknowable."""
    try:
        import psutil

        proc = psutil.Process(pid)
        started = proc.create_time()

        def alive():
            try:
                return psutil.Process(pid).create_time() == started
            except psutil.Error:
                return False

        return alive
    except ImportError:
        pass
    except Exception:
        return lambda: False
    if os.name == "posix":
        from ..core.publish import pid_alive

        return lambda: pid_alive(pid)
    return None


def _init_worker(parent_pid: int | None = None) -> None:
    """Pool worker start: the kernel starts (in a thread) while this process imports the report
    libraries; both are then reused for every report the worker builds. The worker (and its
    kernels) end with the build that started it (:func:`die_with_parent`)."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    kernel = _new_kernel()
    outcome: dict = {}

    def start():
        try:
            kernel.start()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=start, name="kiprank-warm-kernel", daemon=True)
    _slot().pending = (thread, outcome)
    thread.start()
    try:
        import kiprank.runs.report  # noqa: F401
        import nbconvert.exporters.html  # noqa: F401
        import typst  # noqa: F401
    except Exception:  # reported by the job that needs them
        pass


def short_reason(exc: BaseException) -> str:
    """The first line of a KiprankError's message (with the first item when that line only
    announces a list, e.g. "2 problem(s) in the inputs:"); type and first line for anything else."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if first.endswith(":") and len(lines) > 1:
        first = f"{first} {lines[1]}"
    if isinstance(exc, KiprankError):
        return first or type(exc).__name__
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def is_kernel_failure(exc: BaseException) -> bool:
    """A kernel that did not start, died, stopped answering or timed out: worth one retry.
    An error raised by the notebook's own code (papermill's PapermillExecutionError, reported
    without a cause) is not."""
    if isinstance(exc, KernelStartError):
        return True
    if getattr(exc, "step", None) != "notebook":
        return False
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, (RuntimeError, TimeoutError)):
            return True
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return False


def count_rows(path: Path) -> int | None:
    """Data rows of a published CSV table (bodies in ranking.csv); None when there is none."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def run_job(job: Job, stale: str = "", notebook_done=None) -> JobResult:
    """Build one report in this worker (a pool process, a Dask worker, or this process); never
    raises for a failed build: the result says ``failed`` with the short reason.

    ``notebook_done``: called (without arguments, possibly twice) once the kernel is no longer
    needed: when the notebook has run (the HTML, PDF and tables are still to be written), or when
    the job ends (see :func:`run_jobs`).

    The job is tried a second time, with a new kernel, when the first attempt failed because the
    kernel did not start, died or hung (:func:`is_kernel_failure`): with several kernels starting
    and running at once such failures are transient (port races, a worker short of memory for a
    moment), and a retry costs seconds while a failed region costs a rerun of the batch.
    """
    started = time.perf_counter()
    worker = f"{os.uname().nodename if hasattr(os, 'uname') else ''}:{os.getpid()}"
    attempt = 0
    while True:
        attempt += 1
        try:
            from .report import build_report

            kernel = _warm_kernel()
            kernel.reports += 1
            build_report(job.year, job.region, job.inputs_root, job.outputs_root, lang=job.lang,
                         report_date=job.report_date, kernel_manager=kernel.km,
                         execution_timeout=job.cell_timeout, pdf_standard=job.pdf_standard,
                         notebook_done=notebook_done)
            if job.letters:
                from .letters import build_letters

                build_letters(job.year, job.region, job.inputs_root, job.outputs_root, lang=job.lang,
                              pdf_standard=job.pdf_standard)
        except Exception as exc:
            if isinstance(exc, KernelStartError) or getattr(exc, "step", None) == "notebook":
                _discard_kernel()  # dead, stuck mid-cell or in an unknown state
            if attempt == 1 and is_kernel_failure(exc):
                continue
            return JobResult(job.year, job.region, STATUS_FAILED, time.perf_counter() - started,
                             str(job.output_folder), reason=short_reason(exc), attempts=attempt,
                             stale=stale, worker=worker)
        return JobResult(job.year, job.region, STATUS_BUILT, time.perf_counter() - started,
                         str(job.output_folder), bodies=count_rows(job.output_folder / "ranking.csv"),
                         attempts=attempt, stale=stale, worker=worker)


def run_jobs(items: list[tuple[Job, str]]) -> list[JobResult]:
    """Several jobs in this worker, in order, with its one kernel, overlapped: a job starts as soon
    as the previous one's notebook has run, so the kernel executes the next notebook while this
    process writes the previous report's HTML, PDF (Typst works outside the GIL) and tables; the
    worker and its kernel no longer wait for each other. At most two jobs are under way. Each job is
    :func:`run_job` (same outputs, same retries); the results come in the order of ``items``."""
    slot = _slot()
    results: list[JobResult | None] = [None] * len(items)
    threads: list[threading.Thread] = []
    kernel_free: threading.Event | None = None
    for i, (job, stale) in enumerate(items):
        if kernel_free is not None:
            kernel_free.wait()
        if len(threads) >= 2:
            threads[-2].join()
        free = threading.Event()

        def work(i=i, job=job, stale=stale, free=free):
            _worker.slot = slot  # the kernel of the thread that runs this batch of jobs
            started = time.perf_counter()
            try:
                results[i] = run_job(job, stale, notebook_done=free.set)
            except BaseException as exc:  # run_job reports failures itself; this is a last resort
                results[i] = JobResult(job.year, job.region, STATUS_FAILED, time.perf_counter() - started,
                                       str(job.output_folder), reason=short_reason(exc), stale=stale)
            finally:
                free.set()

        thread = threading.Thread(target=work, name=f"kiprank-job-{i}", daemon=True)
        thread.start()
        threads.append(thread)
        kernel_free = free
    for thread in threads:
        thread.join()
    return results


def chunk_sizes(n: int, workers: int) -> list[int]:
    """How :func:`_run_local` hands ``n`` jobs to ``workers`` processes: in batches for
    :func:`run_jobs` (a batch overlaps its jobs), large first and single jobs at the end, so that
    the workers finish together (guided scheduling: a batch is half of each worker's share of what
    is left)."""
    sizes, left = [], n
    while left > 0:
        size = max(1, -(-left // (2 * max(workers, 1))))
        sizes.append(size)
        left -= size
    return sizes


# -- running a batch ---------------------------------------------------------------------------

@dataclass
class BatchResult:
    results: list[JobResult] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def build_all(jobs: list[Job], *, workers: int | None = None, force: bool = False, scheduler: str | None = None,
              on_planned=None, on_result=None) -> BatchResult:
    """Check every job, build those that are not up to date (in parallel) and rewrite the index.

    ``on_planned(n_to_build, n_up_to_date)`` and ``on_result(JobResult)`` report progress.
    """
    started = time.perf_counter()
    batch = BatchResult()
    todo: list[tuple[Job, str]] = []
    notebook = None if force else report_notebook()
    for job in jobs:
        t0 = time.perf_counter()
        reason = "--force" if force else check_job(job, notebook)
        if reason is None:
            result = JobResult(job.year, job.region, STATUS_SKIPPED, time.perf_counter() - t0,
                               str(job.output_folder), bodies=count_rows(job.output_folder / "ranking.csv"))
            batch.results.append(result)
        else:
            todo.append((job, reason))
    if on_planned:
        on_planned(len(todo), len(batch.results))
    for result in batch.results:
        if on_result:
            on_result(result)

    def collect(result: JobResult) -> None:
        batch.results.append(result)
        if on_result:
            on_result(result)

    if todo:
        if scheduler:
            _run_dask(scheduler, todo, collect)
        else:
            _run_local(todo, workers or os.cpu_count() or 1, collect)
    order = {(j.year, j.region): i for i, j in enumerate(jobs)}
    batch.results.sort(key=lambda r: order[(r.year, r.region)])
    outputs_roots = dict.fromkeys(Path(j.outputs_root) for j in jobs)
    for root in outputs_roots:
        batch.index = write_index(root)
    batch.seconds = time.perf_counter() - started
    return batch


def _pool_context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_local(todo: list[tuple[Job, str]], workers: int, collect) -> None:
    """Jobs in a pool of worker processes, each building several reports with warm imports and a
    warm kernel, in batches (:func:`chunk_sizes`, :func:`run_jobs`). A worker that dies (e.g.
    killed for memory) breaks the pool: the jobs it took down are tried again once in a new pool,
    then reported as failed."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pending = list(todo)
    for round_ in (1, 2):
        broken: list[tuple[Job, str]] = []
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=_pool_context(),
                                 initializer=_init_worker, initargs=(os.getpid(),)) as pool:
            futures, at = {}, 0
            for size in chunk_sizes(len(pending), min(workers, len(pending))):
                chunk = pending[at:at + size]
                at += size
                futures[pool.submit(run_jobs, chunk)] = chunk
            try:
                for future in as_completed(futures):
                    chunk = futures[future]
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        broken.extend(chunk)
                        continue
                    except Exception as exc:
                        results = [JobResult(job.year, job.region, STATUS_FAILED, time.perf_counter() - started,
                                             str(job.output_folder), reason=short_reason(exc), stale=stale)
                                   for job, stale in chunk]
                    for result in results:
                        collect(result)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        if not broken:
            return
        if round_ == 2:
            for job, stale in broken:
                collect(JobResult(job.year, job.region, STATUS_FAILED, time.perf_counter() - started,
                                  str(job.output_folder), reason="the worker process died", stale=stale))
        pending = broken


def _run_dask(address: str, todo: list[tuple[Job, str]], collect) -> None:
    """The same jobs on the workers of a Dask distributed cluster (``distributed.Client.submit``)."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise UsageError(f"--scheduler needs dask.distributed ({exc}); install kiprank[cluster]") from exc
    try:
        client = Client(address, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler at {address}: {exc}") from exc
    import uuid

    token = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    with client:
        futures = {
            client.submit(run_job, job, stale, key=f"kiprank-report-{job.year}-{job.region}-{token}", pure=False):
            (job, stale) for job, stale in todo
        }
        for future in as_completed(futures):
            job, stale = futures[future]
            try:
                collect(future.result())
            except Exception as exc:  # the worker died (KilledWorker), the task was cancelled, ...
                collect(JobResult(job.year, job.region, STATUS_FAILED, time.perf_counter() - started,
                                  str(job.output_folder), reason=f"dask: {short_reason(exc)}", stale=stale))


# -- the static index ---------------------------------------------------------------------------

def _yaml(path: Path):
    from ..core.yamlfile import load_yaml

    return load_yaml(path)


@functools.lru_cache(maxsize=64)
def _bands_of(ref: str, root: str | None) -> tuple[str, ...] | None:
    """Band labels of a methodology (``preset:<id>`` or a path), highest first; read once per batch."""
    try:
        path = recorded_methodology_file(ref, Path(root) if root else None)
        return tuple(str(b["label"]) for b in _yaml(path)["bands"])
    except Exception:
        return None


def _band_order(manifest: dict | None) -> list[str] | None:
    """Band labels from the highest down, from the methodology the manifest recorded."""
    try:
        root = manifest.get("inputs_root")
        bands = _bands_of(str(manifest["methodology"]["path"]), str(root) if root else None)
    except (KeyError, TypeError, AttributeError):
        return None
    return list(bands) if bands else None


def _region_title(manifest: dict | None) -> str:
    if not manifest or not manifest.get("inputs_folder"):
        return ""
    try:
        data = _yaml(recorded_folder(manifest)[1] / "region.yml")
        return str(data.get("title") or data.get("region") or "")
    except Exception:
        return ""


def index_entries(outputs_root: Path | str) -> list[dict]:
    """One entry per ``<outputs_root>/<year>/<region>/`` holding a report or a ranking."""
    from urllib.parse import quote

    root = Path(outputs_root)
    entries = []
    years = sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: -int(p.name)) \
        if root.is_dir() else []
    for year_dir in years:
        for folder in sorted(p for p in year_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            ranking = folder / "ranking.csv"
            files = {n: (folder / n).is_file() for n in ("report.pdf", "report.html", "ranking.csv", "ranking.xlsx")}
            if not any(files.values()):
                continue
            bands: dict[str, int] = {}
            best: dict[str, float] = {}
            bodies = 0
            try:
                with open(ranking, encoding="utf-8-sig", newline="") as handle:
                    for row in csv.DictReader(handle):
                        bodies += 1
                        band = (row.get("band") or "").strip()
                        if not band:
                            continue
                        bands[band] = bands.get(band, 0) + 1
                        try:
                            best[band] = max(best.get(band, float("-inf")), float(row.get("final") or "nan"))
                        except ValueError:
                            pass
            except (OSError, UnicodeDecodeError, csv.Error):  # missing, not UTF-8, or not a CSV table
                bodies, bands, best = None, {}, {}
            manifest = read_manifest(folder)
            order = _band_order(manifest)
            if order is None:  # by the best score in each band
                order = sorted(bands, key=lambda b: -best.get(b, float("-inf")))
            base = f"{quote(year_dir.name)}/{quote(folder.name)}/"
            entries.append({
                "year": year_dir.name,
                "region": folder.name,
                "title": _region_title(manifest),
                "bodies": bodies,
                "bands": [(label, bands.get(label, 0)) for label in order]
                + [(label, n) for label, n in bands.items() if label not in order],
                "links": {name: base + quote(name) for name, present in files.items() if present},
                "fingerprint": (manifest or {}).get("fingerprint", ""),
                "version": (manifest or {}).get("kiprank_version", ""),
            })
    return entries


def write_index(outputs_root: Path | str) -> Path:
    """Write ``<outputs_root>/index.html``: every report on disk with its band counts and links
    (all text escaped by Jinja2's autoescape). Replaced atomically."""
    from jinja2 import Environment, FileSystemLoader

    from ..core.version import __version__

    root = Path(outputs_root)
    root.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                      keep_trailing_newline=True)
    html = env.get_template("index.html.j2").render(entries=index_entries(root), version=__version__)
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, root / INDEX)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return root / INDEX


# -- command line --------------------------------------------------------------------------------

class BuildCommand(click.Command):
    """Lets ``--years`` / ``--regions`` take several values after one flag (``--years 2018 2019``),
    as well as repeated flags and comma-separated lists."""

    greedy = ("--year", "--years", "--region", "--regions")

    def parse_args(self, ctx, args):
        out, flag = [], None
        for i, arg in enumerate(args):
            if arg == "--":
                out.extend(args[i:])
                break
            if arg.startswith("-"):
                name, eq, value = arg.partition("=")
                flag = name if name in self.greedy else None
                if flag is None:
                    out.append(arg)
                elif eq:
                    out.extend(_spread(flag, value))
                continue
            out.extend(_spread(flag, arg) if flag else [arg])
        return super().parse_args(ctx, out)


def _split(text: str) -> list[str]:
    return [v for v in text.replace(",", " ").split() if v] or [text]


def _spread(flag: str, text: str) -> list[str]:
    return [v for value in _split(text) for v in (flag, value)]


def run_build(years, regions, inputs_root, outputs_root, lang="id", report_date=None, jobs=None, force=False,
              scheduler=None, cell_timeout=DEFAULT_CELL_TIMEOUT, console=None, err_console=None,
              pdf_standard=None, letters=False, site=False) -> int:
    """``kiprank build``: plan, build with a progress bar, print the summary; return the exit code
    (0 all built or up to date, 1 when any region failed). With ``site``, then write the static
    site of the outputs root (:func:`kiprank.runs.site.build_site`, default folder ``<root>/site``)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    err_console = err_console or Console(stderr=True)
    if report_date is not None:
        from datetime import date

        try:
            report_date = date.fromisoformat(str(report_date)).isoformat()
        except ValueError as exc:
            raise UsageError(f"--date: '{report_date}' is not a date YYYY-MM-DD") from exc
    planned = plan_jobs(years, regions, inputs_root, outputs_root, lang, report_date, cell_timeout, pdf_standard,
                        letters)
    where = f"on {scheduler}" if scheduler else f"{jobs or os.cpu_count() or 1} local processes"
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err_console, transient=False)
    task = progress.add_task("checking", total=len(planned))

    def on_planned(n_build, n_skip):
        progress.update(task, description=f"building {n_build} report(s) ({where}), {n_skip} up to date")

    def on_result(result: JobResult):
        progress.advance(task)
        if result.status == STATUS_FAILED:
            progress.console.print(Text.assemble(("failed", "red"), f" {result.year}/{result.region}: {result.reason}"),
                                   highlight=False, soft_wrap=True)

    with progress:
        batch = build_all(planned, workers=jobs, force=force, scheduler=scheduler,
                          on_planned=on_planned, on_result=on_result)

    table = Table(title=f"kiprank build: {len(planned)} report(s) in {batch.seconds:.1f} s")
    for column in ("region", "year", "bodies", "status", "time", "output"):
        table.add_column(column, justify="right" if column in ("bodies", "time") else "left")
    style = {STATUS_BUILT: "green", STATUS_SKIPPED: "dim", STATUS_FAILED: "bold red"}
    for r in batch.results:
        output = str(Path(r.folder) / "report.pdf") if r.ok else r.reason
        status = r.status + (f" (try {r.attempts})" if r.attempts > 1 else "")
        table.add_row(Text(r.region), str(r.year), "" if r.bodies is None else str(r.bodies),
                      Text(status, style=style[r.status]), f"{r.seconds:.1f}s", Text(output))
    console.print(table, soft_wrap=True)
    counts = {s: sum(r.status == s for r in batch.results) for s in (STATUS_BUILT, STATUS_SKIPPED, STATUS_FAILED)}
    console.print(Text(f"{counts[STATUS_BUILT]} built, {counts[STATUS_SKIPPED]} up to date, "
                       f"{counts[STATUS_FAILED]} failed; index: {batch.index}"), highlight=False, soft_wrap=True)
    if site:
        from .site import build_site

        made = build_site(outputs_root, lang=lang)
        console.print(Text(f"site: {made.folder}/index.html ({made.pages} pages; manifest {made.fingerprint})"),
                      highlight=False, soft_wrap=True)
        for warning in made.warnings:
            err_console.print(Text.assemble(("warning:", "yellow"), " ", warning), highlight=False, soft_wrap=True)
    return batch.exit_code


__all__ = ["Job", "JobResult", "BatchResult", "plan_jobs", "current_fingerprint", "stale_reason", "check_job",
           "run_job", "build_all", "write_index", "index_entries", "run_build", "BuildCommand",
           "is_kernel_failure", "short_reason", "WarmKernel", "KernelStartError"]

"""Atomic, kill-safe publishing of an outputs folder, and the published-folder contract.

The contract: a folder kiprank publishes (``outputs/<year>/<region>/``, a comparison, a
corrections folder) is one consistent run. Its ``manifest.json`` has a ``kind`` (``run``,
``comparison``, ``corrections`` ...) and lists under ``outputs`` exactly the files in it, by
relative posix path (``report.pdf``, ``letters/kec-a.pdf``), with their SHA-256. A sub-folder
holding its own ``manifest.json`` (e.g. ``forms/`` of ``kiprank forms``) is a nested publication:
it is not listed by its parent, and a new run of the parent carries it over untouched.

Publishing (:func:`staged_folder`):

1. a lock next to the target (``.<name>.lock``) is taken: two runs publishing the same folder
   take turns (each publishes a complete folder; the last one stays);
2. leftovers of an interrupted run (``.<name>.staging-*``, ``.<name>.old-*``) are recovered
   (a published folder left aside is put back) or removed;
3. the target, if present, must be kiprank's own: a folder with a readable manifest of the same
   kind that lists every file in it (or an empty folder). Anything else is refused with exit 2,
   before anything is written (kiprank never deletes or overwrites what it did not create);
4. the new folder is written into a hidden staging folder next to the target;
5. the staging folder takes the target's place in one atomic step (``renameat2`` with
   ``RENAME_EXCHANGE`` on Linux), so a kill at any instant leaves either the old or the new
   complete folder under the published name; the old copy is removed afterwards. Where an atomic
   exchange is not available (Windows, macOS, some network file systems) two renames are used,
   and a kill between them leaves the old folder aside as ``.<name>.old-*``, which the next run
   (or ``kiprank verify``) puts back.

``KIPRANK_TEST_KILL_AT=<step>`` kills the process at a named step (:data:`STEPS`): the tests use
it to check the above at every step.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterator

from ..core.errors import KiprankError, OutputError, UsageError
from ..core.files import MANIFEST, sha256_file, write_manifest

LOCK_TIMEOUT = 3600.0
# The steps at which KIPRANK_TEST_KILL_AT can kill a publishing process, in order.
STEPS = ("locked", "recovered", "staging", "staged", "moved-old", "swapped", "cleaning", "done")
# Manifests written before kinds existed: the command tells the kind.
LEGACY_KINDS = {"score": "run", "report": "run"}


def checkpoint(step: str) -> None:
    """Test hook: die here, as ``kill -9`` would, when ``KIPRANK_TEST_KILL_AT`` names this step."""
    if os.environ.get("KIPRANK_TEST_KILL_AT") == step:
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)  # pragma: no cover (Windows)


# -- ownership -------------------------------------------------------------------------------

def manifest_kind(manifest: dict) -> str:
    """The kind of a manifest (``run`` for manifests of score/report runs written before kinds)."""
    kind = manifest.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    return LEGACY_KINDS.get(str(manifest.get("command")), "folder")


def load_manifest(folder: Path) -> dict:
    """``folder/manifest.json`` as a dict; :class:`UsageError` (exit 2) naming the file when it is
    missing, empty, not JSON or not an object."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise UsageError(f"{path} is missing: {folder} was not written by kiprank")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}): the manifest is damaged") from None
    except json.JSONDecodeError as exc:
        what = "empty" if not path.read_bytes().strip() else f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise UsageError(f"{path}: {what}: the manifest is damaged") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("outputs", {}), dict):
        raise UsageError(f"{path}: not a kiprank manifest (expected an object with 'outputs')")
    return data


def nested_folders(folder: Path) -> list[str]:
    """Relative posix paths of the sub-folders of ``folder`` that hold their own manifest."""
    folder = Path(folder)
    out = []
    for dirpath, dirnames, _ in os.walk(folder):
        here = Path(dirpath)
        if here != folder and (here / MANIFEST).is_file():
            out.append(here.relative_to(folder).as_posix())
            dirnames[:] = []
        else:
            dirnames.sort()
    return sorted(out)


def folder_files(folder: Path) -> list[str]:
    """Relative posix paths of the files of ``folder`` (not the manifest, not nested publications,
    not the lock or temporary files kiprank keeps next to them)."""
    folder = Path(folder)
    nested = set(nested_folders(folder))
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = Path(dirpath).relative_to(folder)
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]  # a link to a folder is an entry too
        dirnames[:] = sorted(d for d in dirnames if (rel_dir / d).as_posix() not in nested and d not in links)
        for name in filenames + links:
            rel = (rel_dir / name).as_posix()
            if rel != MANIFEST:
                out.append(rel)
    return sorted(out)


def check_owned(target: Path, kind: str | None) -> dict | None:
    """Refuse (exit 2, saying why) to replace ``target`` unless it is a folder kiprank published:
    absent, empty, or holding a manifest of ``kind`` (any kind when None) that lists every file in
    it. Returns its manifest (None when absent or empty)."""
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return None
    if target.is_symlink() or not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder: kiprank publishes a folder there only where "
                         "none is, or where it published one itself; move it away first")
    if not any(target.iterdir()):
        return None
    how = "move it away or give another output folder"
    if not (target / MANIFEST).is_file():
        if not folder_files(target):  # only nested publications (e.g. forms/ written before the first score)
            return None
        raise UsageError(f"{target} holds files that kiprank did not write (no {MANIFEST}): refusing to replace it; {how}")
    try:
        manifest = load_manifest(target)
    except UsageError as exc:
        raise UsageError(f"{exc}; refusing to replace {target}; {how}") from None
    found = manifest_kind(manifest)
    if kind is not None and found != kind:
        raise UsageError(f"{target} is a kiprank '{found}' folder, not a '{kind}' folder: refusing to replace it; {how}")
    listed = set(manifest.get("outputs") or {})
    unlisted = [rel for rel in folder_files(target) if rel not in listed]
    if unlisted:
        shown = ", ".join(unlisted[:5]) + (f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else "")
        raise UsageError(f"{target} holds files its {MANIFEST} does not list ({shown}): kiprank did not write "
                         f"them, so it will not delete them; {how}")
    return manifest


def check_separate(inputs_root: Path | str, outputs_root: Path | str, inputs_option: str = "--inputs-root",
                   outputs_option: str = "--outputs-root") -> None:
    """Refuse (exit 2, before anything is written) an outputs folder that is the inputs folder,
    inside it, or holds it: publishing would replace input files (or inputs would be read from
    published ones)."""
    ins, outs = _real(inputs_root), _real(outputs_root)
    if ins == outs or ins in outs.parents or outs in ins.parents:
        how = "the same folder" if ins == outs else (f"{outputs_option} inside {inputs_option}" if ins in outs.parents
                                                      else f"{outputs_option} around {inputs_option}")
        raise UsageError(f"{outputs_option} {outputs_root} and {inputs_option} {inputs_root} overlap ({how}): "
                         "publishing there could replace input files; give separate folders")


def _real(path: Path | str) -> Path:
    """The absolute path with symlinks resolved (as far as it exists), case-folded where the file
    system ignores case (Windows)."""
    return Path(os.path.normcase(os.path.realpath(Path(path).expanduser())))


# -- locking and recovery -----------------------------------------------------------------------

class _Lock:
    """An exclusive lock on the target's parent folder (``flock`` on the folder itself: no lock
    file is left behind), released when the process ends, even by ``kill -9``. Where folders
    cannot be locked (Windows) it does nothing: publishing stays atomic, and leftovers of live
    runs are recognised by their process id."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.fd = None

    def acquire(self, timeout: float = LOCK_TIMEOUT) -> None:
        if _fcntl is None:  # pragma: no cover (Windows)
            return
        self.fd = os.open(self.folder, os.O_RDONLY)
        deadline = time.monotonic() + timeout
        while True:
            try:
                _fcntl.flock(self.fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.release()
                    raise UsageError(f"another kiprank run has been publishing into {self.folder} for "
                                     f"{timeout:.0f} s; try again when it has finished") from None
                time.sleep(0.05)
            except OSError:  # a file system without locks: publishing stays atomic
                self.release()
                return

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)  # closing the descriptor releases the lock
            finally:
                self.fd = None


try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover (Windows)
    _fcntl = None


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (a re-used id only keeps a leftover a while longer)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        import psutil

        return psutil.pid_exists(pid)
    except ImportError:  # pragma: no cover
        pass
    if os.name == "nt":  # pragma: no cover
        return True  # unknown: keep the leftover (harmless)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _owner(path: Path) -> int:
    """The process id in a leftover's name (``.<name>.staging-<pid>-...``; 0 when there is none)."""
    tail = path.name.rsplit(".staging-", 1)[-1] if ".staging-" in path.name else path.name.rsplit(".old-", 1)[-1]
    head = tail.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def _leftovers(target: Path) -> tuple[list[Path], list[Path]]:
    """(staging folders, old copies) left next to ``target`` by interrupted runs."""
    parent = target.parent
    if not parent.is_dir():
        return [], []
    staging, old = [], []
    for entry in parent.iterdir():
        if entry.name.startswith(f".{target.name}.staging-"):
            staging.append(entry)
        elif entry.name.startswith(f".{target.name}.old-"):
            old.append(entry)
    return sorted(staging), sorted(old, key=lambda p: p.stat().st_mtime)


def recover(target: Path) -> list[str]:
    """Put back a published folder that an interrupted publish left aside, and remove staging
    folders and old copies of interrupted runs (those of a process that still runs are its own
    work in progress and stay). Call with the target's lock held. Returns what was done."""
    target = Path(target)
    staging, old = _leftovers(target)
    staging = [p for p in staging if not _pid_alive(_owner(p))]
    old = [p for p in old if not _pid_alive(_owner(p))]
    done = []
    if not target.exists() and old:
        newest = old.pop()  # the last folder published before the interruption
        os.rename(newest, target)
        done.append(f"restored {target} from {newest.name}")
    for path in staging + old:
        _remove_tree(path)
        done.append(f"removed {path.name}")
    return done


def _remove_tree(path: Path) -> None:
    def retry(func, name, _exc):  # read-only files (e.g. copied from a read-only source)
        try:
            os.chmod(name, 0o700)
            func(name)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:  # pragma: no cover
        shutil.rmtree(path, onerror=retry)


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold the publishing lock of ``target`` (its parent folder is created if needed)."""
    target = Path(target)
    created = _make_parent(target)
    lock = _Lock(target.parent)
    try:
        lock.acquire()
    except OSError as exc:
        _remove_created(created)
        raise _output_error(exc, target.parent) from None
    try:
        yield created
    except BaseException:
        lock.release()
        _remove_created(created)
        raise
    lock.release()


def _make_parent(target: Path) -> list[Path]:
    """Create the target's parent folders; return those created (deepest last)."""
    parent = target.parent
    missing = []
    for up in [parent, *parent.parents]:
        if up.exists() or up.is_symlink():
            if not up.is_dir():
                raise UsageError(f"cannot write into {parent}: {up} is a file, not a folder")
            break
        missing.append(up)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(exc, parent) from None
    return list(reversed(missing))


def _remove_created(folders: list[Path]) -> None:
    """After a failure: remove the (still empty) folders this run created, deepest first."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            break


def _output_error(exc: OSError, where: Path) -> KiprankError:
    """An OSError while publishing as a message naming the place: exit 2 when the place cannot be
    used (read-only, a file, no permission), 3 when the write failed (disk full, I/O error)."""
    path = exc.filename or where
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return UsageError(f"cannot write {path}: {reason} (check --outputs-root / --output)")
    return OutputError(f"writing {path} failed: {reason}; the previous outputs are unchanged")


# -- publishing ------------------------------------------------------------------------------------

@contextmanager
def staged_folder(target: Path, keep_existing: bool = False, kind: str | None = None) -> Iterator[Path]:
    """Yield an empty staging folder (or a copy of ``target`` with ``keep_existing``) and publish
    it as ``target`` when the block ends without an exception.

    ``target``, if present, must be kiprank's (:func:`check_owned`, of ``kind`` when given). Without
    ``keep_existing`` the new folder replaces the old one entirely (files of the old run, including
    section files such as ``robustness.csv``, are stale and go), except nested publications
    (sub-folders with their own manifest, e.g. ``forms/``), which are carried over untouched.
    On publishing, the staging folder's manifest (written by the caller, or a minimal one of
    ``kind``) is made to list exactly the files in it. The lock is held while the folder is
    checked and copied and while it is published, not while the caller writes.
    """
    target = Path(target)
    with locked(target) as created:
        checkpoint("locked")
        try:
            recover(target)
        except OSError as exc:
            raise _output_error(exc, target.parent) from None
        checkpoint("recovered")
        check_owned(target, kind)
        try:
            stage = _new_stage(target)
        except OSError as exc:
            raise _output_error(exc, target.parent) from None
        try:
            seen = _signature(target)
            if target.is_dir():
                if keep_existing:
                    shutil.copytree(target, stage, dirs_exist_ok=True, symlinks=True)
                else:
                    _carry_nested(target, stage)
        except BaseException as exc:
            _remove_tree(stage)
            if isinstance(exc, OSError):
                raise _output_error(exc, stage) from None
            raise
    try:
        checkpoint("staging")
        try:
            yield stage
        except OSError as exc:
            if str(exc.filename or "").startswith(str(stage)) or exc.errno == errno.ENOSPC:
                raise _output_error(exc, stage) from exc
            raise
        try:
            finalise_manifest(stage, kind)
        except OSError as exc:
            raise _output_error(exc, stage) from None
        checkpoint("staged")
        with locked(target):
            check_owned(target, kind)  # another run may have published meanwhile: still kiprank's?
            if _signature(target) != seen:
                if keep_existing:
                    raise OutputError(f"{target} was changed by another kiprank run while this one was writing "
                                      "into a copy of it; nothing was published: run this command again")
                _carry_nested(target, stage)  # nested publications as they are now
            try:
                replace_folder(stage, target)
            except OSError as exc:
                raise _output_error(exc, target) from None
    except BaseException:
        if stage.exists():
            _remove_tree(stage)
        if not target.exists():
            _remove_created(created)
        raise
    checkpoint("done")


def _signature(target: Path) -> tuple:
    """What identifies the published state of ``target``: its manifest and those of its nested
    publications (each publish rewrites its manifest)."""
    if not target.is_dir():
        return ()
    out = []
    for rel in ["", *nested_folders(target)]:
        path = target / rel / MANIFEST
        out.append((rel, sha256_file(path) if path.is_file() else None))
    return tuple(out)


def _carry_nested(target: Path, stage: Path) -> None:
    """Copy the nested publications of ``target`` (sub-folders with their own manifest) into
    ``stage``, replacing copies made earlier."""
    for rel in nested_folders(stage):
        if not (target / rel / MANIFEST).is_file():
            _remove_tree(stage / rel)
    for rel in nested_folders(target):
        if (stage / rel).exists():
            _remove_tree(stage / rel)
        shutil.copytree(target / rel, stage / rel, symlinks=True)


def _new_stage(target: Path) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-{os.getpid()}-", dir=target.parent))


def finalise_manifest(folder: Path, kind: str | None = None) -> dict:
    """Make ``folder/manifest.json`` list exactly the files of ``folder`` (a minimal manifest of
    ``kind`` when there is none); unchanged bytes when it already does."""
    folder = Path(folder)
    path = folder / MANIFEST
    if path.is_file():
        manifest = json.loads(path.read_text(encoding="utf-8"))
    else:
        manifest = {"kind": kind or "folder", "outputs": {}}
    files = folder_files(folder)
    recorded = manifest.get("outputs") or {}
    outputs = {rel: (recorded[rel] if rel in recorded and _fresh(folder, rel, recorded[rel]) else sha256_file(folder / rel))
               for rel in files}
    changed = not path.is_file() or outputs != recorded
    if kind is not None and "kind" not in manifest:
        manifest["kind"] = kind
        changed = True
    if changed:
        manifest["outputs"] = dict(sorted(outputs.items()))
        write_manifest(manifest, folder)
    return manifest


def _fresh(folder: Path, rel: str, digest: str) -> bool:
    return sha256_file(folder / rel) == digest


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where that is not
    available, so the caller falls back to two renames."""
    if os.environ.get("KIPRANK_PUBLISH_FALLBACK") or not sys.platform.startswith("linux"):
        return False
    func = _renameat2()
    if func is None:
        return False
    import ctypes

    at_fdcwd, rename_exchange = -100, 2
    if func(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _renameat2():
    if not hasattr(_renameat2, "func"):
        func = None
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            func = libc.renameat2
            func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            func.restype = ctypes.c_int
        except (OSError, AttributeError):
            func = None
        _renameat2.func = func
    return _renameat2.func


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target``: an atomic exchange where available (the published name
    always holds a complete folder), else two renames; the old folder is removed afterwards."""
    new, target = Path(new), Path(target)
    os.chmod(new, 0o755)
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        checkpoint("swapped")
        _remove_old(new)  # ``new`` now holds the old folder (a leftover staging folder if killed now)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(target, old)
    checkpoint("moved-old")
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    checkpoint("swapped")
    _remove_old(old)


def _remove_old(path: Path) -> None:
    """Remove an old copy; a kill meanwhile leaves a hidden leftover that the next run removes."""
    entries = sorted(path.iterdir())
    if entries and os.environ.get("KIPRANK_TEST_KILL_AT") == "cleaning":
        first = entries[0]
        _remove_tree(first) if first.is_dir() else first.unlink()
        checkpoint("cleaning")
    _remove_tree(path)


def safe_relpath(rel: str, what: str = "path") -> str:
    """A relative posix path inside a folder (no absolute path, no ``..``, no backslash)."""
    text = str(rel).replace("\\", "/") if os.sep == "\\" else str(rel)
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or ".." in pure.parts or "\\" in text or text.startswith("~") \
            or any(part in ("", ".") for part in text.split("/")) or "\x00" in text:
        raise ValueError(f"{what} '{rel}' must be a relative path inside the folder")
    return pure.as_posix()


def add_to_published(target: Path, write, section: str, settings: dict | None = None,
                     rewrites: tuple[str, ...] = ()) -> list[str]:
    """Add the files of one later step (``robustness``, ``letters`` ...) to a published run folder,
    atomically, and list them in its manifest so that ``kiprank verify`` checks them.

    ``write(stage)`` writes into a staged copy of ``target`` and returns the paths it wrote,
    relative to the folder (``"robustness.csv"``, ``"letters/kec-ngawen.pdf"``). Files that an
    earlier run of the same ``section`` listed and this one did not write are removed (kiprank made
    them). ``settings`` (e.g. draws and seed) are recorded under ``manifest["sections"][section]``.
    A section cannot replace the manifest, a file of the run or of another section, except the run
    files named in ``rewrites`` that describe the whole folder (``datapackage.json``, which ``write``
    writes again with the section's tables): their new hashes are recorded. Returns the relative
    paths written.
    """
    target = Path(target)
    if not target.is_dir():
        raise UsageError(f"{target} is not a published folder (run `kiprank score` or `kiprank report` first)")
    with staged_folder(target, keep_existing=True) as stage:
        manifest = load_manifest(stage)
        sections = dict(manifest.get("sections") or {})
        previous = set((sections.get(section) or {}).get("files", []))
        others = {f for name, sec in sections.items() if name != section for f in (sec or {}).get("files", [])}
        run_files = set(manifest.get("outputs") or {}) - previous - others
        written = sorted({safe_relpath(Path(p).as_posix(), f"file of section '{section}'") for p in write(stage)})
        outputs = dict(manifest.get("outputs") or {})
        for rel in written:
            if rel == MANIFEST:
                raise ValueError("a section cannot write the manifest")
            if rel in run_files or rel in others:
                raise ValueError(f"section '{section}' cannot replace {rel}, a file of the run or of another section")
            if not (stage / rel).is_file():
                raise ValueError(f"section '{section}' listed {rel} but did not write it")
        for stale in sorted(previous - set(written)):
            path = stage / safe_relpath(stale)
            path.unlink(missing_ok=True)
            outputs.pop(stale, None)
            for parent in path.parents:  # folders the section made and emptied
                if parent == stage or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
        for rel in written:
            outputs[rel] = sha256_file(stage / rel)
        for rel in rewrites:  # (a run published before there was such a file gets it listed now)
            if (stage / rel).is_file():
                outputs[rel] = sha256_file(stage / rel)
        sections[section] = {"files": written, "settings": settings or {}}
        write_manifest({**manifest, "outputs": dict(sorted(outputs.items())), "sections": sections}, stage)
    return written

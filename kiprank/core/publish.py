"""Kill-safe publishing of a folder, and the published-folder contract: the one mechanism every
command that writes a folder uses (a run, a comparison, corrections, forms, the site), and whose
lock and leftover recovery ``kiprank collect`` uses for the input tables it writes.

The contract: a folder kiprank publishes is one consistent result. Its ``manifest.json`` has a
``kind`` (``run``, ``comparison``, ``corrections``, ``forms``, ``site`` ...) and lists under
``outputs`` exactly the files in it, by relative posix path (``report.pdf``, ``letters/kec-a.pdf``),
with their SHA-256. A sub-folder holding its own ``manifest.json`` (e.g. ``forms/`` of ``kiprank
forms``) is a nested publication: it is not listed by its parent, and a new run of the parent
carries it over untouched.

Publishing (:func:`staged_folder`):

1. a lock on the target's parent folder is taken: two runs publishing there take turns (each
   publishes a complete folder; the last one stays);
2. leftovers of interrupted runs (``.<name>.staging-<pid>-*``, ``.<name>.old-<pid>-*``, beside the
   target and beside its nested publications) are recovered: a published folder left aside is put
   back, the rest of a process that no longer runs is removed (a live process's are its work in
   progress and stay);
3. the target, if present, must be kiprank's own: a folder with a readable manifest of the same
   kind that lists every file in it (or an empty folder). Anything else is refused with exit 2,
   before anything is written (kiprank never deletes or overwrites what it did not create);
4. the new folder is written into a hidden staging folder next to the target;
5. the staging folder takes the target's place in one atomic step (``renameat2`` with
   ``RENAME_EXCHANGE`` on Linux), so a kill at any instant leaves either the old or the new
   complete folder under the published name; the old copy is removed afterwards. Where an atomic
   exchange is not available (Windows, macOS, some network file systems) two renames are used,
   and a kill between them leaves the old folder aside as ``.<name>.old-<pid>-*``, which the next
   run (or ``kiprank verify``) puts back.

One module of about 660 lines: the lock, the names of leftovers, their recovery, ownership and the
exchange are one protocol and must agree with each other.

Seams for tests (no test code runs in these paths): :func:`watch_steps` registers a function called
at each named step (:data:`STEPS`), which the kill tests use to end a real process there, and
:data:`ATOMIC_EXCHANGE` set to False takes the two-rename path of systems without an exchange.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from .errors import KiprankError, OutputError, UsageError
from .files import MANIFEST, sha256_file, write_manifest
from .locks import LOCK_FILE, LOCK_TIMEOUT, FolderLock

# The named steps of publishing, in order (:func:`watch_steps`).
STEPS = ("locked", "recovered", "staging", "staged", "moved-old", "swapped", "cleaning", "done")
# Manifests written before kinds existed: the command tells the kind.
LEGACY_KINDS = {"score": "run", "report": "run"}
# False: publish with two renames, as on systems without an atomic exchange (tests take that path).
ATOMIC_EXCHANGE = True
# ``.<name>.staging-<pid>-<random>`` and ``.<name>.old-<pid>-<n>``: what publishing leaves while it runs.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<what>staging|old)-(?P<pid>\d*)")
# The exact names publishing gives them (mkdtemp's 8 characters; the clock's nanoseconds): only these
# are recognised inside a published folder, so that a folder of someone's named alike is left alone.
_EXACT_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:staging-(?P<pid>\d+)-[a-z0-9_]{8}|old-(?P<old_pid>\d+)-\d+)$")

_watchers: list[Callable[[str], None]] = []


def watch_steps(callback: Callable[[str], None]) -> Callable[[], None]:
    """Call ``callback(step)`` at each step of publishing (:data:`STEPS`) in this process, until the
    returned function is called. The kill tests end a real process at a chosen step with it."""
    _watchers.append(callback)
    return lambda: _watchers.remove(callback) if callback in _watchers else None


def checkpoint(step: str) -> None:
    """A named step of publishing has been reached: tell the watchers (none, outside tests)."""
    for callback in list(_watchers):
        callback(step)


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
    not the lock file kiprank keeps where folders cannot be locked)."""
    folder = Path(folder)
    nested = set(nested_folders(folder))
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = Path(dirpath).relative_to(folder)
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]  # a link to a folder is an entry too
        dirnames[:] = sorted(d for d in dirnames if (rel_dir / d).as_posix() not in nested and d not in links)
        for name in filenames + links:
            rel = (rel_dir / name).as_posix()
            if rel != MANIFEST and name != LOCK_FILE:
                out.append(rel)
    return sorted(out)


def listed_outputs(manifest: dict) -> dict:
    """The files a manifest lists (relative path -> SHA-256): ``outputs``, or ``files`` in forms
    manifests written before forms followed the contract."""
    listed = manifest.get("outputs") or {}
    if not listed and manifest.get("kind") == "forms" and isinstance(manifest.get("files"), dict):
        return manifest["files"]
    return listed


def in_leftover(rel: str) -> bool:
    """Whether a relative path lies in what an interrupted publish of a nested publication left
    (``.forms.staging-<pid>-*/...``): not a file of the folder, removed by :func:`recover_within`."""
    return any(_EXACT_LEFTOVER.match(part) for part in PurePosixPath(rel).parts[:-1])


def check_owned(target: Path, kind: str | None) -> dict | None:
    """Refuse (exit 2, saying why) to replace ``target`` unless it is a folder kiprank published:
    absent, empty, or holding a manifest of ``kind`` (any kind when None) that lists every file in
    it (what interrupted publishes of its nested publications left aside does not count). Returns
    its manifest (None when absent or empty)."""
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
    listed = set(listed_outputs(manifest))
    unlisted = [rel for rel in folder_files(target) if rel not in listed and not in_leftover(rel)]
    if unlisted:
        shown = ", ".join(unlisted[:5]) + (f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else "")
        raise UsageError(f"{target} holds files its {MANIFEST} does not list ({shown}): kiprank did not write "
                         f"them, so it will not delete them; {how}")
    return manifest


def real_path(path: Path | str) -> Path:
    """The absolute path with symlinks resolved (as far as it exists), case-folded where the file
    system ignores case (Windows)."""
    return Path(os.path.normcase(os.path.realpath(Path(path).expanduser())))


def overlaps(a: Path | str, b: Path | str) -> bool:
    """Whether two folders are the same, or one lies inside the other."""
    ra, rb = real_path(a), real_path(b)
    return ra == rb or ra in rb.parents or rb in ra.parents


def check_separate(inputs_root: Path | str, outputs_root: Path | str, inputs_option: str = "--inputs-root",
                   outputs_option: str = "--outputs-root") -> None:
    """Refuse (exit 2, before anything is written) an outputs folder that is the inputs folder,
    inside it, or holds it: publishing would replace input files (or inputs would be read from
    published ones)."""
    ins, outs = real_path(inputs_root), real_path(outputs_root)
    if overlaps(ins, outs):
        how = "the same folder" if ins == outs else (f"{outputs_option} inside {inputs_option}" if ins in outs.parents
                                                      else f"{outputs_option} around {inputs_option}")
        raise UsageError(f"{outputs_option} {outputs_root} and {inputs_option} {inputs_root} overlap ({how}): "
                         "publishing there could replace input files; give separate folders")


def safe_relpath(rel: str, what: str = "path") -> str:
    """A relative posix path inside a folder (no absolute path, no ``..``, no backslash)."""
    text = str(rel).replace("\\", "/") if os.sep == "\\" else str(rel)
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or ".." in pure.parts or "\\" in text or text.startswith("~") \
            or any(part in ("", ".") for part in text.split("/")) or "\x00" in text:
        raise ValueError(f"{what} '{rel}' must be a relative path inside the folder")
    return pure.as_posix()




def pid_alive(pid: int) -> bool:
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


def leftover_owner(path: Path) -> int:
    """The process id in the name of a leftover of publishing or of a temporary file named the same
    way (``.<name>.staging-<pid>-...``, ``.<name>.old-<pid>-...``; 0 when there is none)."""
    match = _LEFTOVER.match(Path(path).name)
    return int(match["pid"]) if match and match["pid"] else 0


def _leftovers(target: Path, exact: bool = False) -> tuple[list[Path], list[Path]]:
    """(staging folders, old copies) left next to ``target`` by interrupted runs (``exact``: only
    those named exactly as publishing names them)."""
    parent = target.parent
    if not parent.is_dir():
        return [], []
    staging, old = [], []
    for entry in parent.iterdir():
        if exact and not ((m := _EXACT_LEFTOVER.match(entry.name)) and m["name"] == target.name):
            continue
        if entry.name.startswith(f".{target.name}.staging-"):
            staging.append(entry)
        elif entry.name.startswith(f".{target.name}.old-"):
            old.append(entry)
    return sorted(staging), sorted(old, key=lambda p: p.stat().st_mtime)


def recover(target: Path, exact: bool = False) -> list[str]:
    """Put back a published folder that an interrupted publish left aside, and remove staging
    folders and old copies of interrupted runs (those of a process that still runs are its own
    work in progress and stay). Call with the lock of the target's parent held. Returns what was
    done."""
    target = Path(target)
    staging, old = _leftovers(target, exact)
    staging = [p for p in staging if not pid_alive(leftover_owner(p))]
    old = [p for p in old if not pid_alive(leftover_owner(p))]
    done = []
    if not target.exists() and old:
        newest = old.pop()  # the last folder published before the interruption
        os.rename(newest, target)
        done.append(f"restored {target} from {newest.name}")
    for path in staging + old:
        remove_tree(path)
        done.append(f"removed {path.name}")
    return done


def recover_within(folder: Path) -> list[str]:
    """:func:`recover` every nested publication of ``folder`` whose interrupted publish left a
    staging folder or an old copy inside ``folder`` (e.g. ``.forms.staging-<pid>-*`` of a killed
    ``kiprank forms``), each under the lock of the folder it lies in."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    targets = set()
    for dirpath, dirnames, _ in os.walk(folder):
        for name in dirnames:
            match = _EXACT_LEFTOVER.match(name)
            if match:
                targets.add(Path(dirpath) / match["name"])
        dirnames[:] = [d for d in dirnames if not _EXACT_LEFTOVER.match(d)]
    done = []
    for target in sorted(targets):
        with FolderLock(target.parent):
            done += recover(target, exact=True)
    return done


def remove_tree(path: Path) -> None:
    """Remove a folder kiprank made (read-only files included, e.g. copied from a read-only source)."""
    def retry(func, name, _exc):
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
def locked(target: Path, timeout: float = LOCK_TIMEOUT, busy: str | None = None) -> Iterator[list[Path]]:
    """Hold the publishing lock of ``target`` (the lock of its parent folder, created if needed);
    yields the parent folders this created, which are removed again if the block fails."""
    target = Path(target)
    created = _make_parent(target)
    lock = FolderLock(target.parent, timeout, busy)
    try:
        lock.acquire()
    except OSError as exc:
        _remove_created(created)
        raise output_error(exc, target.parent) from None
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
        raise output_error(exc, parent) from None
    return list(reversed(missing))


def _remove_created(folders: list[Path]) -> None:
    """After a failure: remove the (still empty) folders this run created, deepest first."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            break


def output_error(exc: OSError, where: Path) -> KiprankError:
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
    checked and copied and while it is published, not while the caller writes. With
    ``keep_existing``, a target that another run published meanwhile is not replaced
    (:class:`OutputError`, exit 3: run the command again).

    (About 60 lines: one protocol read top to bottom (lock, recover, stage, yield, publish under the
    lock, clean up on any failure); split, its paired ``try`` blocks would sit in different functions.)
    """
    target = Path(target)
    with locked(target) as created:
        checkpoint("locked")
        try:
            recover(target)
        except OSError as exc:
            raise output_error(exc, target.parent) from None
        checkpoint("recovered")
        check_owned(target, kind)
        try:
            recover_within(target)
        except OSError as exc:
            raise output_error(exc, target) from None
        try:
            stage = _new_stage(target)
        except OSError as exc:
            raise output_error(exc, target.parent) from None
        try:
            seen = _signature(target)
            if target.is_dir():
                if keep_existing:
                    shutil.copytree(target, stage, dirs_exist_ok=True, symlinks=True, ignore=_live_leftovers)
                else:
                    _carry_nested(target, stage)
        except BaseException as exc:
            remove_tree(stage)
            if isinstance(exc, OSError):
                raise output_error(exc, stage) from None
            raise
    try:
        checkpoint("staging")
        try:
            yield stage
        except OSError as exc:
            if str(exc.filename or "").startswith(str(stage)) or exc.errno == errno.ENOSPC:
                raise output_error(exc, stage) from exc
            raise
        try:
            finalise_manifest(stage, kind)
        except OSError as exc:
            raise output_error(exc, stage) from None
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
                raise output_error(exc, target) from None
    except BaseException:
        if stage.exists():
            remove_tree(stage)
        if not target.exists():
            _remove_created(created)
        raise
    checkpoint("done")


def _live_leftovers(_folder: str, names: list[str]) -> list[str]:
    """For ``copytree``: the work in progress of a nested publication's live publish is not copied."""
    return [name for name in names if _EXACT_LEFTOVER.match(name)]


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
            remove_tree(stage / rel)
    for rel in nested_folders(target):
        if (stage / rel).exists():
            remove_tree(stage / rel)
        shutil.copytree(target / rel, stage / rel, symlinks=True)


def _new_stage(target: Path) -> Path:
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
    outputs = {rel: (recorded[rel] if rel in recorded and sha256_file(folder / rel) == recorded[rel]
                     else sha256_file(folder / rel))
               for rel in files}
    changed = not path.is_file() or outputs != recorded
    if kind is not None and "kind" not in manifest:
        manifest["kind"] = kind
        changed = True
    if changed:
        manifest["outputs"] = dict(sorted(outputs.items()))
        write_manifest(manifest, folder)
    return manifest


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where that is not
    available (or :data:`ATOMIC_EXCHANGE` is off), so the caller falls back to two renames."""
    if not ATOMIC_EXCHANGE or not sys.platform.startswith("linux"):
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
    """Remove an old copy, its first entry first: a kill meanwhile leaves a hidden, partly removed
    leftover (step ``cleaning``) that the next run removes."""
    entries = sorted(path.iterdir())
    if entries:
        remove_tree(entries[0]) if entries[0].is_dir() and not entries[0].is_symlink() else entries[0].unlink()
    checkpoint("cleaning")
    remove_tree(path)


__all__ = ["STEPS", "LOCK_FILE", "ATOMIC_EXCHANGE", "watch_steps", "checkpoint", "manifest_kind", "load_manifest",
           "nested_folders", "folder_files", "listed_outputs", "in_leftover", "check_owned", "real_path", "overlaps", "check_separate", "safe_relpath",
           "FolderLock", "pid_alive", "leftover_owner", "recover", "recover_within", "remove_tree", "locked",
           "output_error", "staged_folder", "finalise_manifest", "replace_folder"]

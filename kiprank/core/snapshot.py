"""One consistent snapshot of the inputs a publication is made from.

A report is made by two processes (this one scores and writes the tables; the notebook's kernel
reads the inputs again for the sections), and a build takes seconds: if ``kiprank collect``
rewrote ``saq.csv`` meanwhile, ``report.pdf`` and ``ranking.csv`` could describe different
inputs. So every publishing command first copies what it reads into a snapshot and reads only
that:

- the region folders' files (every regular top-level file but hidden ones), the methodology
  file and the logo that ``region.yml`` names (wherever they are), and extra files of the inputs
  root (``crosswalk.csv``) are copied while a shared lock is held on each region folder
  (``kiprank collect`` holds an exclusive one while it writes, so a snapshot never holds half of
  a collect);
- the copy mirrors the folders' layout below the nearest common folder (relative references in
  ``region.yml`` resolve the same way) and is named after a hash of its content
  (``<temp>/kiprank-inputs/<hash>/``), so the same inputs give the same paths, and the executed
  notebooks the same bytes; runs on the same inputs share it (a shared lock each), and the last
  one to finish removes it.

Problems found in the snapshot are reported with the paths of the real inputs (:meth:`Snapshot.relabel`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from .errors import InputValidationError, KiprankError, UsageError
from .locks import FOLDER_LOCKS, FolderLock
from .region import region_folder

LOCK_WAIT = 60.0  # seconds to wait for a collect writing into a region folder


@dataclass
class Snapshot:
    """``root``: the inputs root to read (in the snapshot); ``source``: the real inputs root;
    ``files``: SHA-256 of every file copied, by path relative to the real inputs root."""

    root: Path
    source: Path
    top: Path      # the snapshot folder that mirrors ``anchor``
    anchor: Path   # the real folder mirrored
    files: dict[str, str]

    def real(self, path: Path | str) -> Path:
        """The real path of a path in the snapshot (other paths are returned as they are)."""
        path = Path(path)
        try:
            return self.anchor / path.relative_to(self.top)
        except ValueError:
            return path

    def text(self, text: str) -> str:
        return text.replace(str(self.top), str(self.anchor))

    def relabel(self, exc: KiprankError) -> KiprankError:
        """The same error, naming the real inputs instead of the snapshot."""
        if isinstance(exc, InputValidationError):
            out = InputValidationError([replace(p, file=self.text(p.file), message=self.text(p.message))
                                        for p in exc.problems], exc.total)
            out.__class__ = exc.__class__
            return out
        out = exc.__class__.__new__(exc.__class__)  # not __init__: subclasses take other arguments
        out.__dict__.update({k: self.text(v) if isinstance(v, str) else v for k, v in vars(exc).items()})
        out.args = tuple(self.text(a) if isinstance(a, str) else a for a in exc.args)
        return out


def _referenced(folder: Path) -> list[Path]:
    """Files outside the folder's top level that region.yml names: the methodology file and the
    logo (a broken region.yml names nothing here; reading it later reports it)."""
    from .yamlfile import load_yaml

    try:
        data = load_yaml(folder / "region.yml")
    except Exception:  # noqa: BLE001 - reported when the snapshot is read
        return []
    out = []
    if isinstance(data, dict):
        for key in ("methodology", "logo"):
            ref = data.get(key)
            if isinstance(ref, str) and ref and "\x00" not in ref and (key == "logo" or "/" in ref or ref.endswith(
                    (".yml", ".yaml")) or Path(ref).is_absolute()):
                path = Path(ref) if Path(ref).is_absolute() else folder / ref
                if path.is_file():
                    out.append(path)
    return out


@contextlib.contextmanager
def _shared_locks(folders: list[Path]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for folder in sorted(set(folders)):
            stack.enter_context(FolderLock(folder, LOCK_WAIT, shared=True,
                                           busy=f"{folder}: kiprank collect has been writing here for "
                                                f"{LOCK_WAIT:.0f} s; try again later"))
        yield


def _copy(src: Path, dest: Path) -> str:
    data = src.read_bytes()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


STALE = 3600.0  # seconds after which a snapshot nobody reads (left by a killed run) is removed


def _store() -> Path:
    store = Path(tempfile.gettempdir()) / "kiprank-inputs"
    store.mkdir(mode=0o700, exist_ok=True)
    _sweep(store)
    return store


def _sweep(store: Path) -> None:
    """Remove what killed runs left: half-made copies, and snapshots nobody holds a lock on."""
    now = time.time()
    for entry in store.iterdir():
        try:
            if now - entry.stat().st_mtime < STALE:
                continue
            if entry.name.startswith(".") or not FOLDER_LOCKS:
                shutil.rmtree(entry, ignore_errors=True)
                continue
            lock = FolderLock(entry)
            if lock.try_acquire():  # nobody reads it
                try:
                    shutil.rmtree(entry, ignore_errors=True)
                finally:
                    lock.release()
        except OSError:
            continue


@contextlib.contextmanager
def input_snapshot(inputs_root: Path | str, regions: list[tuple[int | str, str]], extra: tuple[str, ...] = (),
                   missing_ok: bool = False, only: set[str] | None = None) -> Iterator[Snapshot]:
    """A snapshot of the ``regions`` (``(year, region)`` pairs) of ``inputs_root`` and of the
    ``extra`` files of the inputs root that exist; yields a :class:`Snapshot` whose ``root`` is read
    instead of ``inputs_root``. A region folder that does not exist is refused (exit 2) unless
    ``missing_ok``; ``only``: the names of the region folders' files to take (default: all).
    Errors raised inside the block name the real inputs."""
    source = Path(os.path.realpath(Path(inputs_root)))
    folders = []
    for year, region in regions:
        folder = region_folder(source, year, region)
        if not folder.is_dir():
            if missing_ok:
                continue
            raise UsageError(f"no input folder {region_folder(Path(inputs_root), year, region)}")
        folders.append(folder)
    store = _store()
    work = Path(tempfile.mkdtemp(prefix=".new-", dir=store))
    try:
        with _shared_locks(folders):
            wanted: dict[Path, None] = {}
            entries: list[Path] = []
            for folder in folders:
                for path in sorted(folder.iterdir()):
                    if path.name.startswith((".", "~$")) or (only is not None and path.name not in only):
                        continue
                    if path.is_file():
                        wanted[path] = None
                    else:  # a folder (or other entry) where a table might be: reading it names it
                        entries.append(path)
                for path in _referenced(folder):
                    wanted[Path(os.path.realpath(path))] = None
            for name in extra:
                if (source / name).is_file():
                    wanted[source / name] = None
            anchor = Path(os.path.commonpath([str(source), *map(str, wanted)]))
            files = {p.relative_to(anchor).as_posix(): _copy(p, work / p.relative_to(anchor)) for p in wanted}
            for path in entries:
                (work / path.relative_to(anchor)).mkdir(parents=True, exist_ok=True)
                files[path.relative_to(anchor).as_posix() + "/"] = "folder"
        digest = hashlib.sha256("\n".join([source.relative_to(anchor).as_posix(), *sorted(
            f"{k} {v}" for k, v in files.items())]).encode()).hexdigest()[:20]
        top, held = _publish(work, store / digest)
        work = None
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    try:
        rel_files = {}
        for rel, digest_ in files.items():
            try:
                rel_files[(anchor / rel).relative_to(source).as_posix()] = digest_
            except ValueError:
                rel_files[str(anchor / rel)] = digest_
        snap = Snapshot(root=top / source.relative_to(anchor), source=source, top=top, anchor=anchor, files=rel_files)
        try:
            yield snap
        except KiprankError as exc:
            raise snap.relabel(exc) from None
    finally:
        _release(top, held)


def _publish(work: Path, final: Path) -> tuple[Path, FolderLock | None]:
    """Put the copy in place as ``final`` (or use the identical copy another run put there) and
    hold a shared lock on it while it is read."""
    for _ in range(20):
        try:
            os.rename(work, final)
        except OSError:
            if not final.is_dir():  # not a leftover of the same content: something else is in the way
                if final.exists():
                    raise UsageError(f"{final} is in the way of kiprank's input snapshot: remove it") from None
                continue
        if not FOLDER_LOCKS:
            if work.exists():  # the same content is in place already: read that one
                shutil.rmtree(work, ignore_errors=True)
            return final, None
        lock = FolderLock(final, shared=True)
        try:
            lock.acquire()
        except FileNotFoundError:  # the last run reading it removed it meanwhile: put ours in place
            continue
        if lock.fd is None:  # a file system without locks: read it as where folders cannot be locked
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
            return final, None
        if final.exists() and os.fstat(lock.fd).st_ino == os.stat(final).st_ino:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
            return final, lock
        lock.release()  # removed (and perhaps put back) meanwhile: try again
    raise UsageError(f"cannot make a snapshot of the inputs in {final.parent}")


def _release(top: Path, lock: FolderLock | None) -> None:
    """Remove the snapshot unless another run still reads it."""
    if lock is None:
        shutil.rmtree(top, ignore_errors=True)
        return
    lock.release()
    last = FolderLock(top)
    try:
        if not last.try_acquire():
            return  # another run reads it: the last one removes it
    except OSError:
        return
    try:
        gone = top.parent / f".old-{top.name}-{os.getpid()}-{time.monotonic_ns()}"
        os.rename(top, gone)
        shutil.rmtree(gone, ignore_errors=True)
    except OSError:
        pass
    finally:
        last.release()

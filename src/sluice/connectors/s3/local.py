"""The embedded S3 backend (connectors layer): buckets as folders, owned by accounts, no symlinks.

Each bucket is a folder `<data_dir>/s3/<bucket>/` and each object a regular file below it
(`sales/2024/a.csv` is `<data_dir>/s3/<bucket>/sales/2024/a.csv`). Two rules keep one account's
data from another (docs/security.md):

* **Ownership.** Before it touches a bucket, `LocalStorage` asks its `BucketPolicy` (the store's
  rule in `sluice.store.buckets`, bound to the calling account) whether the account may use it. A
  bucket it may not use is reported exactly as a missing one, so nobody learns which names exist;
  bucket listings show only usable buckets.
* **No symlinks.** Nothing under the root is reached through a symbolic link: every path is
  opened one component at a time relative to its parent's descriptor with `O_NOFOLLOW`, so a link
  anywhere (the bucket folder itself, an intermediate folder, the object) reads as "no such
  bucket / object" and is never listed, read, written, moved or deleted through. Listings keep
  only real folders and regular files (`follow_symlinks=False`); FIFOs and devices are skipped.
  Because each step is relative to an already-open folder, swapping a folder for a link between
  two calls cannot redirect a later one.

The root itself (`<data_dir>/s3`) is the operator's choice and may be a link (to another disk).
Used through `sluice.connectors.s3.storage.open_storage`.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from sluice.connectors.base import BucketPolicy, ConnectorError
from sluice.connectors.s3.storage import Listing, ObjectInfo, Storage, _order, _page

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO named like an object must not hang the worker (it is refused after).
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
# What opening a path component answers when it is missing, a link, or not a folder.
_ABSENT = {errno.ENOENT, errno.ENOTDIR, errno.ELOOP}
WRITE_BUFFER = 1024 * 1024
# The path naming an open descriptor's file (Linux); see `_arrow_file`.
PROC_FD = "/proc/self/fd/{}"
# Folders are pruned when their last file goes (S3 has no folders), so a run deleting its last
# file under a shared folder (the bucket's `.sluice-staging/`, a flow's output folder) can remove
# it between another run's mkdir and its open/rename: the losing run makes the folder again, up
# to this many times.
_FOLDER_ATTEMPTS = 50


def _arrow_file(fd: int, mode: str) -> Any:
    """An open object's descriptor as a `pyarrow.NativeFile` ("r": readable, seekable; "w": a
    buffered output stream); the descriptor is closed or owned by the file.

    Arrow's own file reads and writes without the GIL: CSV rows and Parquet pages then move
    while other threads run Python, where a Python file object takes the GIL and copies the
    bytes for every call (docs/s3.md, "No symbolic links"). Arrow opens paths only, so the file
    is reopened through `/proc/self/fd/N`, which names the very file the descriptor holds (the
    checks that opened it stand; nothing is looked up by name again). Without /proc it stays a
    Python file.
    """
    import pyarrow as pa

    try:
        native = pa.OSFile(PROC_FD.format(fd), "rb" if mode == "r" else "wb")
    except OSError:
        native = None
    if native is not None:
        os.close(fd)
        return native if mode == "r" else pa.BufferedOutputStream(native, WRITE_BUFFER)
    if mode == "r":
        return pa.PythonFile(io.FileIO(fd, "rb"), mode="r")
    return pa.PythonFile(io.BufferedWriter(io.FileIO(fd, "wb"), WRITE_BUFFER), mode="w")


class LocalStorage(Storage):
    """Buckets as folders under `root` (`<data_dir>/s3`), usable as `buckets` allows."""

    kind = "local"

    def __init__(self, root: str, buckets: BucketPolicy | None = None) -> None:
        self.root = root
        self.buckets = buckets

    # -- names and access -------------------------------------------------------------------

    def _check_name(self, bucket: str) -> None:
        if not bucket or "/" in bucket or "\\" in bucket or bucket in {".", ".."} or "\0" in bucket:
            raise ConnectorError("InvalidArgument", f"{bucket!r} is not a valid bucket name")

    def parts(self, key: str) -> list[str]:
        """A key's path segments; keys that could leave the bucket are refused."""
        segments = key.split("/")
        if not key or key.startswith("/") or any(s in {".", ".."} for s in segments) or "\\" in key or "\0" in key:
            raise ConnectorError("InvalidArgument", f"{key!r} is not an object key the local store can hold")
        return [segment for segment in segments if segment]

    def path(self, bucket: str, key: str) -> str:
        """Where an object's file would be (for messages and tests; access goes through descriptors)."""
        self._check_name(bucket)
        return os.path.join(self.root, bucket, *self.parts(key))

    def _missing(self, bucket: str) -> ConnectorError:
        # One answer for "no folder", "a link", and "another account's": nothing tells them apart.
        return ConnectorError(
            "ResourceNotFound",
            f"{self.location(bucket)} does not exist or this account may not use it",
        )

    def _usable(self, names: Collection[str]) -> set[str]:
        return set(names) if self.buckets is None else self.buckets.allowed(names)

    # -- descriptors --------------------------------------------------------------------------

    @contextmanager
    def _bucket(self, bucket: str) -> Iterator[int]:
        """The bucket folder, opened without following links; ResourceNotFound when not usable."""
        self._check_name(bucket)
        if bucket not in self._usable([bucket]):
            raise self._missing(bucket)
        try:
            root = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno in _ABSENT:
                raise self._missing(bucket) from exc
            raise
        try:
            fd = _open_dir(bucket, root)
        finally:
            os.close(root)
        if fd is None:
            raise self._missing(bucket)
        try:
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def _folder(self, bucket: str, segments: list[str], create: bool = False) -> Iterator[int | None]:
        """The folder `segments` inside the bucket (None when absent, a link or not a folder)."""
        with self._bucket(bucket) as base:
            fd = _descend(base, segments, create)
            try:
                yield fd
            finally:
                if fd is not None:
                    os.close(fd)

    def _open_object(self, bucket: str, key: str) -> int:
        """A regular file's descriptor, for reading; ResourceNotFound for anything else."""
        *folder, name = self.parts(key) or [""]
        with self._folder(bucket, folder) as parent:
            fd = None
            if parent is not None and name:
                try:
                    fd = os.open(name, _READ_FLAGS, dir_fd=parent)
                except OSError as exc:
                    if exc.errno not in _ABSENT:
                        raise
            if fd is not None and stat.S_ISREG(os.fstat(fd).st_mode):
                os.set_blocking(fd, True)
                return fd
            if fd is not None:
                os.close(fd)
        raise ConnectorError("ResourceNotFound", f"{self.location(bucket, key)} does not exist")

    # -- Storage -------------------------------------------------------------------------------

    def list_buckets(self, max_results: int | None = None, token: str | None = None) -> tuple[list[str], str | None]:
        try:
            with os.scandir(self.root) as entries:
                folders = [entry.name for entry in entries if entry.is_dir(follow_symlinks=False)]
        except (FileNotFoundError, NotADirectoryError):
            return [], None
        names = sorted(self._usable(folders), key=_order)
        return _page(names, max_results, token)

    def require_bucket(self, bucket: str) -> None:
        with self._bucket(bucket):
            pass

    def list_level(self, bucket: str, prefix: str, max_keys: int | None = None, token: str | None = None) -> Listing:
        segments = self.parts(prefix) if prefix.strip("/") else []
        entries: dict[str, os.stat_result | None] = {}
        with self._folder(bucket, segments) as folder:
            if folder is not None:
                with os.scandir(folder) as found:
                    for entry in found:
                        if entry.is_dir(follow_symlinks=False):
                            entries[f"{prefix}{entry.name}/"] = None
                        elif entry.is_file(follow_symlinks=False):
                            entries[f"{prefix}{entry.name}"] = entry.stat(follow_symlinks=False)
        names, next_token = _page(sorted(entries, key=_order), max_keys, token)
        listing = Listing(next_token=next_token)
        for name in names:
            info = entries[name]
            if info is None:
                listing.folders.append(name)
            else:
                listing.objects.append(_local_info(name, info))
        return listing

    def walk(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        # Start from the deepest folder the prefix names, then filter by the full prefix.
        folder_part = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        segments = self.parts(folder_part) if folder_part else []
        found: list[ObjectInfo] = []
        with self._folder(bucket, segments) as start:
            if start is not None:
                base = "".join(f"{segment}/" for segment in segments)
                found = [item for item in _walk(start, base) if item.key.startswith(prefix)]
        yield from sorted(found, key=lambda item: _order(item.key))

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        *folder, name = self.parts(key) or [""]
        with self._folder(bucket, folder) as parent:
            if parent is None or not name:
                return None
            try:
                info = os.stat(name, dir_fd=parent, follow_symlinks=False)
            except OSError as exc:
                if exc.errno in _ABSENT:
                    return None
                raise
        return _local_info(key, info) if stat.S_ISREG(info.st_mode) else None

    def read_head(self, bucket: str, key: str, length: int) -> bytes:
        with io.FileIO(self._open_object(bucket, key), "rb") as handle:
            return handle.read(length)

    def read_range(self, bucket: str, key: str, start: int, length: int, extra: int = 0) -> Any:
        import pyarrow as pa

        # An Arrow buffer is not zero-filled first (a bytearray is: ~7 % of a CSV run's CPU).
        buffer = pa.allocate_buffer(length + extra, resizable=True)
        fd = self._open_object(bucket, key)
        try:
            view, done = memoryview(buffer).cast("B"), 0
            while done < length:  # pread releases the GIL; a short read just means "read on"
                got = os.preadv(fd, [view[done:length]], start + done)
                if got <= 0:
                    break
                done += got
            if done < length:  # the object shrank: keep what was read, then the spare bytes
                view[done:done + extra] = view[length:length + extra]
        finally:
            os.close(fd)
            view.release()
        if done < length:
            buffer.resize(done + extra)
        return buffer

    def open_input_file(self, bucket: str, key: str) -> Any:
        return _arrow_file(self._open_object(bucket, key), "r")

    def open_input_stream(self, bucket: str, key: str) -> Any:
        return _arrow_file(self._open_object(bucket, key), "r")

    def open_output_stream(self, bucket: str, key: str) -> Any:
        *folder, name = self.parts(key)
        for attempt in range(_FOLDER_ATTEMPTS):
            last = attempt == _FOLDER_ATTEMPTS - 1
            with self._folder(bucket, folder, create=True) as parent:
                if parent is None:
                    if not last:
                        continue  # made, then pruned by another run before it could be opened
                    raise ConnectorError(
                        "InvalidArgument", f"{self.location(bucket, key)}: a folder on its path is unusable"
                    )
                try:
                    fd = os.open(name, _WRITE_FLAGS, 0o666, dir_fd=parent)
                except OSError as exc:
                    if exc.errno == errno.ENOENT and not last:
                        continue  # the open folder was pruned meanwhile (see `_FOLDER_ATTEMPTS`)
                    if exc.errno in _ABSENT or exc.errno == errno.EISDIR:
                        raise ConnectorError(
                            "InvalidArgument", f"{self.location(bucket, key)} cannot be written"
                        ) from exc
                    raise
            break
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ConnectorError("InvalidArgument", f"{self.location(bucket, key)} cannot be written")
        os.set_blocking(fd, True)
        return _arrow_file(fd, "w")

    def move(self, bucket: str, source: str, target: str) -> None:
        *source_folder, source_name = self.parts(source)
        *target_folder, target_name = self.parts(target)
        with self._bucket(bucket) as base:
            source_fd = _descend(base, source_folder, create=False)
            if source_fd is None:
                raise ConnectorError("ResourceNotFound", f"{self.location(bucket, source)} does not exist")
            try:
                for attempt in range(_FOLDER_ATTEMPTS):
                    last = attempt == _FOLDER_ATTEMPTS - 1
                    info = os.stat(source_name, dir_fd=source_fd, follow_symlinks=False)
                    if not stat.S_ISREG(info.st_mode):
                        raise ConnectorError("ResourceNotFound", f"{self.location(bucket, source)} does not exist")
                    target_fd = _descend(base, target_folder, create=True)
                    if target_fd is None:
                        if not last:
                            continue  # made, then pruned by another run before it could be opened
                        raise ConnectorError("InvalidArgument", f"{self.location(bucket, target)} cannot be written")
                    try:
                        # rename(2) replaces a link at the target rather than writing through it.
                        os.replace(source_name, target_name, src_dir_fd=source_fd, dst_dir_fd=target_fd)
                        return
                    except FileNotFoundError:
                        if last:
                            raise
                        # The target folder was pruned meanwhile; the stat above re-checks the source.
                    finally:
                        os.close(target_fd)
            finally:
                os.close(source_fd)

    def delete(self, bucket: str, key: str) -> None:
        *folder, name = self.parts(key)
        # A link or folder is no object; deleting "nothing" is not an error.
        self._remove(bucket, folder, name, stat.S_ISREG, lambda parent: os.unlink(name, dir_fd=parent))

    def delete_prefix(self, bucket: str, prefix: str) -> None:
        segments = self.parts(prefix)
        if not segments:
            raise ConnectorError("InvalidArgument", "deleting a whole bucket is not something Sluice does")
        *folder, name = segments
        # The fd-based rmtree never follows links: a link inside is removed, not entered.
        self._remove(bucket, folder, name, stat.S_ISDIR, lambda parent: shutil.rmtree(name, dir_fd=parent))

    def _remove(
        self, bucket: str, folder: list[str], name: str, is_kind: Callable[[int], bool], remove: Callable[[int], None]
    ) -> None:
        """Remove `name` in `folder` with `remove(parent_fd)` when it is of the kind `is_kind` accepts
        (never a link), then prune the folders it leaves empty; an absent one is fine."""
        with self._bucket(bucket) as base:
            parent = _descend(base, folder, create=False)
            if parent is None:
                return
            try:
                info = os.stat(name, dir_fd=parent, follow_symlinks=False)
                if not is_kind(info.st_mode):
                    return
                remove(parent)
            except OSError as exc:
                if exc.errno not in _ABSENT:
                    raise
                return
            finally:
                os.close(parent)
            _prune(base, folder)

    @contextmanager
    def errors(self, target: str) -> Iterator[None]:
        try:
            yield
        except ConnectorError:
            raise
        except FileNotFoundError as exc:
            raise ConnectorError("ResourceNotFound", f"{target} does not exist") from exc
        except OSError as exc:
            # The errno's name, not the message: a message would carry the server's file paths.
            reason = errno.errorcode.get(exc.errno or 0, "an I/O error")
            raise ConnectorError("ServerError", f"the local S3 store failed on {target}: {reason}") from exc

    # -- admin ---------------------------------------------------------------------------------

    def create_bucket(self, bucket: str) -> bool:
        """Make the bucket's folder (True) or find it there (False); a link in its place is refused."""
        self._check_name(bucket)
        os.makedirs(self.root, exist_ok=True)
        root = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            try:
                os.mkdir(bucket, 0o777, dir_fd=root)
                return True
            except FileExistsError as exc:
                if _open_dir_closed(bucket, root):
                    return False
                raise ConnectorError(
                    "InvalidArgument", f"{os.path.join(self.root, bucket)} exists and is not a folder"
                ) from exc
        finally:
            os.close(root)

    def folders(self) -> list[str]:
        """Every bucket folder (real folders only), whoever owns it."""
        try:
            with os.scandir(self.root) as entries:
                return sorted(entry.name for entry in entries if entry.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []


def _open_dir(name: str, parent: int) -> int | None:
    """`name` inside `parent` as a folder descriptor; None when absent, a link or not a folder."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise


def _open_dir_closed(name: str, parent: int) -> bool:
    fd = _open_dir(name, parent)
    if fd is None:
        return False
    os.close(fd)
    return True


def _descend(base: int, segments: list[str], create: bool) -> int | None:
    """Open `segments` below `base` one at a time, never through a link; the caller closes the result.

    With `create`, missing folders are made. None when a segment is absent (and not created), a
    link, or not a folder.
    """
    fd = os.dup(base)
    for segment in segments:
        child = _open_dir(segment, fd)
        if child is None and create:
            try:
                os.mkdir(segment, 0o777, dir_fd=fd)
            except FileExistsError:
                pass  # made meanwhile, or a link/file: the open below decides
            except FileNotFoundError:
                # `fd` itself was pruned by another run since it was opened: report it absent,
                # and the caller makes the path again (see `_FOLDER_ATTEMPTS`).
                os.close(fd)
                return None
            child = _open_dir(segment, fd)
        os.close(fd)
        if child is None:
            return None
        fd = child
    return fd


def _walk(folder: int, base: str) -> Iterator[ObjectInfo]:
    """Every regular file under `folder` (keys start with `base`), entering real folders only."""
    with os.scandir(folder) as entries:
        listed = list(entries)
    for entry in listed:
        if entry.is_file(follow_symlinks=False):
            yield _local_info(f"{base}{entry.name}", entry.stat(follow_symlinks=False))
        elif entry.is_dir(follow_symlinks=False):
            child = _open_dir(entry.name, folder)
            if child is None:
                continue  # replaced by a link since it was listed
            try:
                yield from _walk(child, f"{base}{entry.name}/")
            finally:
                os.close(child)


def _prune(base: int, segments: list[str]) -> None:
    """Remove folders left empty, as S3 has no folders once their last object is gone."""
    for depth in range(len(segments), 0, -1):
        parent = _descend(base, segments[: depth - 1], create=False)
        if parent is None:
            return
        try:
            os.rmdir(segments[depth - 1], dir_fd=parent)
        except OSError:
            return  # not empty (or not a folder): stop here
        finally:
            os.close(parent)


def _local_info(key: str, info: os.stat_result) -> ObjectInfo:
    """A file as an object; its mtime (integer ns, so exact) becomes epoch seconds."""
    return ObjectInfo(key, info.st_size, info.st_mtime_ns / 1_000_000_000)

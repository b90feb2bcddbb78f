"""Write-once storage for archive bundles: a local folder, or any object store fsspec reaches.

Keys are POSIX paths relative to the archive root (``bundles/G/acct/2026/05/pi-1/bagit.txt``).
A bundle is published so that it is either complete or absent from its final place:

- local folder: every file is written into a private staging folder, then the folder is renamed
  into place in one step (``rename`` refuses a non-empty target, so nothing is overwritten);
- object store (S3 and alike, no rename): the payload files go to their final keys first and the
  commit marker (the tag manifest) last, created with ``If-None-Match: *`` where the store
  supports it. A bundle without its marker is *incomplete*: it never verifies, and the next run
  writes it again.

Nothing that has been committed is ever overwritten. ``ObjectStoragePath`` (Airflow) and
``UPath`` objects are accepted as roots; plain URLs go through ``fsspec.core.url_to_fs``.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from herald.errors import HeraldError

STAGING_DIR = ".staging"
LOCAL_PROTOCOLS = ("", "file", "local")


class StoreError(HeraldError):
    """The archive store cannot be used as configured."""


def default_archive_root() -> str:
    """``HERALD_ARCHIVE_ROOT`` if set, else ``<repo>/.demo/archive`` (the embedded demo)."""
    configured = os.environ.get("HERALD_ARCHIVE_ROOT")
    if configured:
        return configured
    return (Path(__file__).resolve().parents[3] / ".demo" / "archive").as_uri()


class ArchiveStore(ABC):
    """What the archive needs from storage. Keys are relative POSIX paths."""

    url: str

    @abstractmethod
    def read(self, key: str) -> bytes:
        """The bytes at ``key``; ``FileNotFoundError`` when there are none."""

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes | Exception]:
        """Each key's bytes, or the error reading it raised (missing, unreadable)."""
        result: dict[str, bytes | Exception] = {}
        for key in keys:
            try:
                result[key] = self.read(key)
            except Exception as exc:
                result[key] = exc
        return result

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list_files(self, prefix: str) -> list[str]:
        """Every file key under ``prefix`` (recursive), sorted."""

    @abstractmethod
    def write_once(self, key: str, data: bytes) -> bool:
        """Create ``key`` with ``data`` unless it exists; False (and nothing written) when it does."""

    @abstractmethod
    def publish_bundle(self, directory: str, files: Mapping[str, bytes], marker: str) -> bool:
        """Write a bundle's files under ``directory``, the ``marker`` file last.

        Returns False, writing nothing that could replace committed bytes, when a bundle is
        already committed there. ``files`` names are relative to ``directory``.
        """

    @abstractmethod
    def _write_file(self, key: str, data: bytes) -> None:
        """Write one file (overwriting); the one place bytes reach storage, so tests can break it."""

    def clean_staging(self, older_than_seconds: float = 3600) -> int:
        """Remove what crashed writers left behind (local folders only); return how many."""
        return 0


class LocalStore(ArchiveStore):
    """A folder on a local or mounted file system. Paths are plain strings: this is the hot path."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).absolute()
        self.url = self.root.as_uri()
        self.root.mkdir(parents=True, exist_ok=True)
        self._root = str(self.root)
        self._folders: set[str] = set()  # folders known to exist (saves a mkdir per bundle)

    def __repr__(self) -> str:
        return f"LocalStore({self._root!r})"

    def _path(self, key: str) -> str:
        if key.startswith("/") or "/../" in f"/{key}/":
            raise StoreError(f"archive key {key!r} must be relative and stay inside the archive root")
        return f"{self._root}/{key}"

    def _ensure_folder(self, folder: str) -> None:
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)

    def read(self, key: str) -> bytes:
        with open(self._path(key), "rb") as handle:
            return handle.read()

    def exists(self, key: str) -> bool:
        return os.path.exists(self._path(key))

    def list_files(self, prefix: str) -> list[str]:
        found = []
        cut = len(self._root) + 1
        for folder, _subfolders, filenames in os.walk(self._path(prefix)):
            relative = folder[cut:]
            found += [f"{relative}/{name}" for name in filenames]
        return sorted(found)

    def _write_file(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            handle = open(path, "wb")
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            handle = open(path, "wb")
        with handle:
            handle.write(data)

    def _make_folders(self, directory: str, names: Iterable[str]) -> None:
        """Create a new bundle's folders up front, parents first: one mkdir each, no failed opens."""
        folders = {directory}
        for name in names:
            parts = name.split("/")[:-1]
            folders.update(directory + "/" + "/".join(parts[: i + 1]) for i in range(len(parts)))
        for folder in sorted(folders, key=len):
            os.mkdir(self._path(folder))

    def write_once(self, key: str, data: bytes) -> bool:
        """Write to a private name, then hard-link into place: ``link`` never replaces an existing file."""
        final = self._path(key)
        if os.path.exists(final):
            return False
        temporary = f"{STAGING_DIR}/{uuid.uuid4().hex}.tmp"
        self._write_file(temporary, data)
        self._ensure_folder(os.path.dirname(final))
        try:
            os.link(self._path(temporary), final)
        except FileExistsError:
            return False
        finally:
            os.unlink(self._path(temporary))
        return True

    def publish_bundle(self, directory: str, files: Mapping[str, bytes], marker: str) -> bool:
        final = self._path(directory)
        staging = f"{STAGING_DIR}/{directory.rsplit('/', 1)[-1]}.{uuid.uuid4().hex}"
        self._ensure_folder(self._path(STAGING_DIR))
        try:
            self._make_folders(staging, files)
            for name, data in _marker_last(files, marker):
                self._write_file(f"{staging}/{name}", data)
            self._ensure_folder(os.path.dirname(final))
            # Atomic, and refuses a non-empty target: a committed bundle is never replaced.
            os.rename(self._path(staging), final)
        except OSError as exc:
            shutil.rmtree(self._path(staging), ignore_errors=True)
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                return False  # another writer committed this bundle first
            if exc.errno == errno.ENOENT:
                self._folders.clear()  # a folder vanished under us: the retry makes it again
            raise
        except BaseException:
            shutil.rmtree(self._path(staging), ignore_errors=True)
            raise
        return True

    def clean_staging(self, older_than_seconds: float = 3600) -> int:
        staging = self.root / STAGING_DIR
        if not staging.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in staging.iterdir():
            if entry.stat().st_mtime < cutoff:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        return removed


class ObjectStore(ArchiveStore):
    """An fsspec file system (s3fs for S3-compatible stores) under a root path such as ``bucket/prefix``."""

    def __init__(self, fs: Any, root: str, url: str | None = None):
        self.fs = fs
        self.root = root.rstrip("/")
        self.url = url or f"{_protocol(fs)}://{self.root}"

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r})"

    def _path(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise StoreError(f"archive key {key!r} must be relative and stay inside the archive root")
        return f"{self.root}/{key}"

    def _key(self, path: str) -> str:
        path = self.fs._strip_protocol(path)
        return path[len(self.root) + 1 :]

    def read(self, key: str) -> bytes:
        return self.fs.cat_file(self._path(key))

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes | Exception]:
        paths = {self._path(key): key for key in keys}
        if not paths:
            return {}
        # One concurrent batch on async file systems (s3fs), instead of a request after a request.
        contents = self.fs.cat(list(paths), on_error="return")
        return {paths[self.fs._strip_protocol(path) if path not in paths else path]: value
                for path, value in contents.items()}

    def exists(self, key: str) -> bool:
        return self.fs.exists(self._path(key))

    def list_files(self, prefix: str) -> list[str]:
        self.fs.invalidate_cache()  # another process may have written since this one last listed
        try:
            found = self.fs.find(self._path(prefix))
        except FileNotFoundError:
            return []
        return sorted(self._key(path) for path in found)

    def _write_file(self, key: str, data: bytes) -> None:
        self.fs.pipe_file(self._path(key), data)

    def _create_file(self, key: str, data: bytes) -> bool:
        try:
            self.fs.pipe_file(self._path(key), data, mode="create")
        except FileExistsError:
            return False
        return True

    def write_once(self, key: str, data: bytes) -> bool:
        if self.exists(key):
            return False
        return self._create_file(key, data)

    def publish_bundle(self, directory: str, files: Mapping[str, bytes], marker: str) -> bool:
        if self.exists(f"{directory}/{marker}"):
            return False
        for name, data in _marker_last(files, marker):
            if name == marker:
                return self._create_file(f"{directory}/{name}", data)
            # Payload before the marker: overwriting an uncommitted file left by a crash is safe.
            self._write_file(f"{directory}/{name}", data)
        raise StoreError(f"bundle {directory}: the marker {marker} is not among its files")


def _marker_last(files: Mapping[str, bytes], marker: str) -> list[tuple[str, bytes]]:
    if marker not in files:
        raise StoreError(f"the marker {marker} is not among the bundle's files")
    return [(n, d) for n, d in files.items() if n != marker] + [(marker, files[marker])]


def _protocol(fs: Any) -> str:
    protocol = fs.protocol
    return protocol[0] if isinstance(protocol, (tuple, list)) else protocol


def open_store(target: Any, storage_options: Mapping[str, Any] | None = None) -> ArchiveStore:
    """A store for a URL (``file:///...``, ``s3://bucket/prefix``), a local path, or a UPath/ObjectStoragePath."""
    if isinstance(target, ArchiveStore):
        return target
    if not isinstance(target, str) and hasattr(target, "fs") and hasattr(target, "protocol"):
        protocol = target.protocol or ""
        if protocol in LOCAL_PROTOCOLS:
            return LocalStore(target.path)
        return ObjectStore(target.fs, target.path, str(target))
    if isinstance(target, os.PathLike):
        return LocalStore(target)
    url = str(target)
    if "://" not in url:
        return LocalStore(url)
    if url.startswith(("file://", "local://")):
        from fsspec.implementations.local import LocalFileSystem

        return LocalStore(LocalFileSystem._strip_protocol(url))
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url, **dict(storage_options or {}))
    return ObjectStore(fs, root, url)


def s3_options_from_connection(login: str | None, password: str | None, extra: Mapping[str, Any] | None) -> dict:
    """s3fs storage options from an Airflow ``aws`` connection's fields (endpoint_url, region_name in extra)."""
    extra = dict(extra or {})
    options: dict[str, Any] = {}
    key = login or extra.get("aws_access_key_id")
    secret = password or extra.get("aws_secret_access_key")
    if key:
        options["key"] = key
    if secret:
        options["secret"] = secret
    client_kwargs = {name: extra[name] for name in ("endpoint_url", "region_name") if extra.get(name)}
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    return options

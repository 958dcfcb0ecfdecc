"""A Beam FileSystem with object-store semantics, for tests: ``mixturetest://bucket/key``.

Backed by a local directory (``ObjectStoreFileSystem.root``), but behaves like gs:// or
s3://: there are no directories (``exists`` of a prefix is False, ``mkdirs`` does nothing,
deleting a "directory" deletes nothing) and listing a prefix is recursive. A run that
reads and writes through this scheme proves that no code path assumes local files.
Registered with Beam simply by being imported (FileSystems finds subclasses).
"""

from __future__ import annotations

import os
import shutil

from apache_beam.io.filesystem import BeamIOError, CompressedFile, CompressionTypes, FileMetadata, FileSystem

SCHEME = "mixturetest"
PREFIX = SCHEME + "://"


class ObjectStoreFileSystem(FileSystem):
    root: str | None = None  # the local directory that holds the buckets; set by the test

    @classmethod
    def scheme(cls):
        return SCHEME

    # ------------------------------------------------------------------ paths

    def _local(self, path: str) -> str:
        if not path.startswith(PREFIX) or self.root is None:
            raise ValueError(f"not a {SCHEME} path (or no root set): {path}")
        return os.path.join(self.root, *path[len(PREFIX):].split("/"))

    def _url(self, local: str) -> str:
        return PREFIX + os.path.relpath(local, self.root).replace(os.sep, "/")

    def join(self, basepath, *paths):
        out = basepath.rstrip("/")
        for part in paths:
            out += "/" + part.strip("/")
        return out

    def split(self, path):
        head, _, tail = path.rstrip("/").rpartition("/")
        return head, tail

    def has_dirs(self):
        return False

    def mkdirs(self, path):
        pass

    # ------------------------------------------------------------------ listing

    def _list(self, dir_or_prefix):
        for dirpath, _, names in os.walk(self.root):
            for name in sorted(names):
                local = os.path.join(dirpath, name)
                url = self._url(local)
                if url.startswith(dir_or_prefix):
                    yield FileMetadata(url, os.path.getsize(local), os.path.getmtime(local))

    def exists(self, path):
        return os.path.isfile(self._local(path))

    def size(self, path):
        return os.path.getsize(self._local(path))

    def last_updated(self, path):
        return os.path.getmtime(self._local(path))

    def checksum(self, path):
        return str(self.size(path))

    def metadata(self, path):
        local = self._local(path)
        if not os.path.isfile(local):
            raise BeamIOError("Metadata operation failed", {path: FileNotFoundError(path)})
        return FileMetadata(path, os.path.getsize(local), os.path.getmtime(local))

    # ------------------------------------------------------------------ objects

    @staticmethod
    def _wrap(handle, path, compression_type):
        if compression_type == CompressionTypes.AUTO:
            compression_type = CompressionTypes.detect_compression_type(path)
        if compression_type == CompressionTypes.UNCOMPRESSED:
            return handle
        return CompressedFile(handle, compression_type=compression_type)

    def create(self, path, mime_type="application/octet-stream", compression_type=CompressionTypes.AUTO):
        local = self._local(path)
        os.makedirs(os.path.dirname(local), exist_ok=True)  # an object store needs no parents
        return self._wrap(open(local, "wb"), path, compression_type)

    def open(self, path, mime_type="application/octet-stream", compression_type=CompressionTypes.AUTO):
        return self._wrap(open(self._local(path), "rb"), path, compression_type)

    def copy(self, source_file_names, destination_file_names):
        for src, dst in zip(source_file_names, destination_file_names):
            local = self._local(dst)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            shutil.copyfile(self._local(src), local)

    def rename(self, source_file_names, destination_file_names):
        for src, dst in zip(source_file_names, destination_file_names):
            local = self._local(dst)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            os.replace(self._local(src), local)

    def delete(self, paths):
        # like gcsio: deleting a missing object (or a "directory") is silently nothing
        for path in paths:
            local = self._local(path)
            if os.path.isfile(local):
                os.remove(local)

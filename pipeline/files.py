"""File listing and whole-file I/O through Beam's FileSystems (local, gs://, s3://, hdfs://)."""

from __future__ import annotations

import os

from apache_beam.io.filesystem import BeamIOError, CompressionTypes
from apache_beam.io.filesystems import FileSystems


def _is_remote(path: str) -> bool:
    return "://" in path


def normalize_path(path: str) -> str:
    """Absolute local paths (so workers in other directories find them); URLs unchanged."""
    return path if _is_remote(path) else os.path.abspath(path)


def expand_patterns(patterns: list[str]) -> list[str]:
    """Sorted, de-duplicated files matching ``patterns`` (globs allowed)."""
    files: set[str] = set()
    for pattern in patterns:
        pattern = normalize_path(pattern)
        for result in FileSystems.match([pattern]):
            for metadata in result.metadata_list:
                if not _is_directory(metadata.path):
                    files.add(metadata.path)
    return sorted(files)


def _is_directory(path: str) -> bool:
    return not _is_remote(path) and os.path.isdir(path)


def join(base: str, *parts: str) -> str:
    return FileSystems.join(base, *parts)


def exists(path: str) -> bool:
    return FileSystems.exists(path)


def write_bytes(path: str, data: bytes) -> None:
    """Write a whole file: to a temporary name first, then renamed into place."""
    tmp = path + ".tmp"
    with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(data)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([tmp], [path])


def read_bytes(path: str) -> bytes:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return handle.read()


def make_dirs(path: str) -> None:
    """Create a directory (no-op on object stores, which have no directories)."""
    if not _is_remote(path):
        os.makedirs(path, exist_ok=True)


def list_dir(path: str) -> list[str]:
    """Files directly or indirectly under ``path``; [] if there is none."""
    if not _is_remote(path):
        return sorted(os.path.join(root, f) for root, _, names in os.walk(path) for f in names)
    try:
        return expand_patterns([FileSystems.join(path, "**")])
    except BeamIOError:
        if FileSystems.exists(path):
            raise
        return []  # a directory that does not exist, on a filesystem with directories (hdfs)


def delete_tree(path: str) -> None:
    """Delete a file or a directory tree; on object stores, every object under the prefix
    (where ``exists`` of a "directory" is False and deleting it would leave its files)."""
    if FileSystems.exists(path):  # a file, or a real directory (local, hdfs): deleted whole
        FileSystems.delete([path])
    elif _is_remote(path):
        doomed = list_dir(path)
        if doomed:
            FileSystems.delete(doomed)

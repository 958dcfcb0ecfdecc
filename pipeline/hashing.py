"""Keyed hashing: the only source of randomness in the pipeline.

Every random decision is a function of (seed, record id, purpose), so results are
identical on every rerun, runner and number of workers. Python's ``hash()`` and the
``random`` module's global state are never used.
"""

from __future__ import annotations

import hashlib

import xxhash

_U64 = float(2**64)


def keyed_hash64(seed: int, purpose: str, key: str) -> int:
    """A 64-bit hash of ``key`` for one ``purpose`` under ``seed``."""
    h = xxhash.xxh3_64(seed=seed & 0xFFFFFFFFFFFFFFFF)
    h.update(purpose.encode("utf-8"))
    h.update(b"\x00")
    h.update(key.encode("utf-8", "surrogatepass"))
    return h.intdigest()


def keyed_uniform(seed: int, purpose: str, key: str) -> float:
    """A uniform float in [0, 1) derived from (seed, purpose, key)."""
    return keyed_hash64(seed, purpose, key) / _U64


def keyed_choice_index(seed: int, purpose: str, key: str, n: int) -> int:
    """A uniform index in range(n) derived from (seed, purpose, key)."""
    if n <= 0:
        raise ValueError("n must be positive")
    return keyed_hash64(seed, purpose, key) % n


def stable_digest(*parts: str, length: int = 16) -> str:
    """A short hex digest of ``parts``, the same on every machine (for derived ids)."""
    h = hashlib.blake2b(digest_size=length)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

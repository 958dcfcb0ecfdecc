"""Fake values of the PII stage's ``mode: fake``: one stand-in per (seed, entity, value).

Each fake comes from a reserved or unassigned range, so it is never someone's real data,
and is derived from a keyed hash of the value, so the same value gets the same fake
everywhere in the corpus.
"""

from __future__ import annotations

from pipeline.hashing import keyed_hash64

# Purpose string of the keyed hash (with the entity appended): part of every fake, so it
# never changes.
_PURPOSE = "pii/fake"

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _digits(seed: int, purpose: str, value: str, n: int) -> str:
    out = ""
    i = 0
    while len(out) < n:
        out += f"{keyed_hash64(seed, f'{purpose}/{i}', value):020d}"[1:]
        i += 1
    return out[:n]


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def fake_value(entity: str, value: str, seed: int) -> str:
    """A fake stand-in for ``value``: the same for the same (seed, entity, value), everywhere.

    Fakes come from reserved or unassigned ranges (example.com, the UK drama range
    020 7946 0xxx, documentation IPs, card IIN 0000, IBAN country XX) so that they
    are never someone's real data. Keep the seed secret: whoever knows it can test
    guesses of an original value against its fake.
    """
    purpose = f"{_PURPOSE}/{entity}"
    h = keyed_hash64(seed, purpose, value)
    if entity == "EMAIL_ADDRESS":
        return f"user{h % 10**8:08d}@example.com"
    if entity == "PHONE_NUMBER":
        return f"+44 20 7946 0{h % 1000:03d}"
    if entity == "IP_ADDRESS":
        if ":" in value:
            return f"2001:db8::{(h >> 16) & 0xFFFF:x}:{h & 0xFFFF:x}"
        prefix = ("192.0.2", "198.51.100", "203.0.113")[h % 3]
        return f"{prefix}.{(h >> 8) % 256}"
    if entity == "CREDIT_CARD":
        number = _luhn_complete("0000" + _digits(seed, purpose, value, 11))
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if entity == "IBAN_CODE":
        return "XX00" + _digits(seed, purpose, value, 18)
    if entity == "CRYPTO":
        chars = []
        for i in range(5):
            block = keyed_hash64(seed, f"{purpose}/{i}", value)
            for _ in range(8):
                chars.append(_BECH32[block & 31])
                block >>= 5
        return "bc1q" + "".join(chars[:38])
    return f"<{entity}_{h & 0xFFFFFFFF:08x}>"

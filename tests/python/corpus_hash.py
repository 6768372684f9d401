"""Normalisation and hashing shared by training/build_corpus.py and tests/python/cloze_contamination.py.

A text is normalised by lowercasing, turning every run of characters other than a-z, 0-9 and the
apostrophe into one space, and trimming. A line is split into sentences after '.', '!' or '?' followed
by a space. A sentence's hash is its 8-byte BLAKE2b digest read as a little-endian unsigned integer.
"""

import hashlib
import re

_NON = re.compile(r"[^a-z0-9']+")
_SPLIT = re.compile(r"(?<=[.!?])\s+")


def normalise(text: str) -> str:
    return _NON.sub(" ", text.lower()).strip()


def sentences(line: str) -> list[str]:
    return [n for n in (normalise(s) for s in _SPLIT.split(line)) if n]


def sentence_hash(normalised: str) -> int:
    return int.from_bytes(hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest(), "little")

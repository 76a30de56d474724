"""Groups the same wire story published by several outlets into one story.

Agencies' copy is reprinted with a local intro, a different headline or a trimmed ending, so exact
hashes miss it; MinHash over word shingles estimates how much text two articles share, and an LSH
index finds candidates without comparing against every recent story. Candidates are then checked with
the actual Jaccard estimate, because LSH bands admit some pairs below the threshold.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Hashable

import numpy as np
from datasketch import MinHash, MinHashLSH

log = logging.getLogger(__name__)

SHINGLE_WORDS = 3
TEXT_CHARS = 2000
SEED = 1  # seed and scheme are fixed: fingerprints are stored and must stay comparable across restarts
SCHEME = "affine32"
_WORD = re.compile(r"\w+")


def _words(title: str, text: str) -> list[str]:
    norm = unicodedata.normalize("NFKC", f"{title}\n{text[:TEXT_CHARS]}").casefold()
    return _WORD.findall(norm)


def _minhash(title: str, text: str, num_perm: int) -> MinHash:
    words = _words(title, text)
    m = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)
    if len(words) < SHINGLE_WORDS:
        shingles = {" ".join(words)} if words else set()
    else:
        shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}
    m.update_batch([s.encode() for s in shingles])
    return m


def fingerprint(title: str, text: str, *, num_perm: int = 64) -> bytes:
    """MinHash signature of the title and the first ~2000 characters, as little-endian uint64s."""
    return _minhash(title, text, num_perm).hashvalues.astype("<u8").tobytes()


def _from_bytes(fp: bytes, num_perm: int) -> MinHash:
    values = np.frombuffer(fp, dtype="<u8")
    if len(values) != num_perm:
        raise ValueError(f"fingerprint has {len(values)} values, expected {num_perm}")
    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashvalues=values.astype(np.uint64))


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two fingerprints' shingle sets."""
    n = len(a) // 8
    return float(_from_bytes(a, n).jaccard(_from_bytes(b, n)))


class StoryClusterer:
    """In-memory LSH index of recent stories' fingerprints, keyed by story id.

    The store is the source of truth: rebuild with `add` for stories inside the clustering window at
    start-up and `remove` the ones that age out.
    """

    def __init__(self, threshold: float, num_perm: int = 64) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._hashes: dict[int, MinHash] = {}

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._hashes

    def add(self, story_id: int, fp: bytes) -> None:
        """Index `fp` under `story_id`, replacing an earlier fingerprint for the same id."""
        m = _from_bytes(fp, self.num_perm)
        if _is_empty(m):
            return  # no text: it would only ever match other empty texts
        if story_id in self._hashes:
            self.remove(story_id)
        self._lsh.insert(story_id, m)
        self._hashes[story_id] = m

    def remove(self, story_id: int) -> None:
        if self._hashes.pop(story_id, None) is not None:
            self._lsh.remove(story_id)

    def match(self, fp: bytes) -> int | None:
        """The indexed story most similar to `fp` at or above the threshold, or None."""
        m = _from_bytes(fp, self.num_perm)
        if _is_empty(m):
            return None
        best: tuple[float, int] | None = None
        candidates: list[Hashable] = self._lsh.query(m)
        for key in candidates:
            if not isinstance(key, int):
                continue
            score = float(m.jaccard(self._hashes[key]))
            if score >= self.threshold and (best is None or (score, -key) > (best[0], -best[1])):
                best = (score, key)
        if best is not None:
            log.debug("fingerprint matches story %s (similarity %.2f)", best[1], best[0])
        return best[1] if best else None


def _is_empty(m: MinHash) -> bool:
    return bool(m.is_empty())

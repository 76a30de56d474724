"""Groups the same wire story published by several outlets into one story.

Agencies' copy is reprinted with a local intro, a different headline or a trimmed ending, so exact
hashes miss it; MinHash over word shingles estimates how much text two articles share, and an LSH
index finds candidates without comparing against every recent story. Candidates are then checked with
the actual Jaccard estimate, because LSH bands admit some pairs below the threshold.
"""

from __future__ import annotations

import heapq
import logging
import re
import unicodedata
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any

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


_NEW_STORY = 1 << 62
"""Keys of the stories a batch starts, while it is planned (above any story id)."""

_PERMUTATIONS: dict[int, Any] = {}


def _permutations(num_perm: int) -> Any:
    """The seed's permutations, computed once per size: MinHash() otherwise draws them again for every
    fingerprint and every indexed story (most of the cost of a small MinHash, and memory per story)."""
    perms = _PERMUTATIONS.get(num_perm)
    if perms is None:
        perms = _PERMUTATIONS[num_perm] = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations
    return perms


def _new(num_perm: int, hashvalues: Any = None) -> MinHash:
    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashvalues=hashvalues,
                   permutations=_permutations(num_perm))


def _minhash(title: str, text: str, num_perm: int) -> MinHash:
    words = _words(title, text)
    m = _new(num_perm)
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
    return _new(num_perm, values.astype(np.uint64))


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two fingerprints' shingle sets."""
    n = len(a) // 8
    return float(_from_bytes(a, n).jaccard(_from_bytes(b, n)))


class StoryClusterer:
    """In-memory LSH index of recent stories' fingerprints, keyed by story id.

    The store is the source of truth. At start-up the index is rebuilt from the articles stored inside
    the clustering window (each story under its latest article's fingerprint); in process every stored
    article is added with its time and `expire` drops stories whose latest article left the window, so
    the index holds exactly what a restart would load, and its size is bounded by the window.
    """

    def __init__(self, threshold: float, num_perm: int = 64) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._hashes: dict[int, MinHash] = {}
        self._added: dict[int, datetime] = {}
        self._by_time: list[tuple[datetime, int]] = []  # heap; entries superseded by a later add are skipped

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._hashes

    def add(self, story_id: int, fp: bytes, at: datetime | None = None) -> None:
        """Index `fp` under `story_id` (stored at `at`), replacing an earlier fingerprint for the same id."""
        m = _from_bytes(fp, self.num_perm)
        if _is_empty(m):
            return  # no text: it would only ever match other empty texts
        if story_id in self._hashes:
            self.remove(story_id)
        self._lsh.insert(story_id, m)
        self._hashes[story_id] = m
        if at is not None:
            self._added[story_id] = at
            heapq.heappush(self._by_time, (at, story_id))

    def remove(self, story_id: int) -> None:
        self._added.pop(story_id, None)
        if self._hashes.pop(story_id, None) is not None:
            self._lsh.remove(story_id)

    def expire(self, before: datetime) -> int:
        """Drop stories last added before `before` (the window's start); returns how many."""
        dropped = 0
        while self._by_time and self._by_time[0][0] < before:
            at, story_id = heapq.heappop(self._by_time)
            if self._added.get(story_id) == at:
                self.remove(story_id)
                dropped += 1
        if dropped:
            log.debug("cluster index: %s stories left the window", dropped)
        return dropped

    def plan(self, fingerprints: Sequence[bytes | None]) -> list[tuple[int | None, int | None]]:
        """Story choices for a batch stored in one transaction: per item (story_id, join) for
        `ArticleToStore`, as `match` then `add` item by item would choose them.

        An item joins an indexed story, or (`join`) an earlier item of the batch that started a new story.
        Earlier items are seen as if stored: a story an item joined is compared under that item's text,
        as `add` would index it. The index itself is left alone; the caller adds what was stored.
        """
        lsh = self._lsh
        batch = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm, params=(lsh.b, lsh.r))
        latest: dict[int, MinHash] = {}  # stories touched by this batch, under their latest text
        starts: dict[int, int] = {}  # key of a story the batch starts -> index of the item starting it
        choices: list[tuple[int | None, int | None]] = []
        for i, fp in enumerate(fingerprints):
            m = _from_bytes(fp, self.num_perm) if fp else None
            if m is None or _is_empty(m):
                choices.append((None, None))
                continue
            candidates = {k for k in lsh.query(m) if isinstance(k, int) and k not in latest}
            candidates.update(k for k in batch.query(m) if isinstance(k, int))
            key = self._best(m, candidates, latest)
            if key is None:
                key = _NEW_STORY + i  # after every stored id, as a new story's id would be
                starts[key] = i
                choices.append((None, None))
            elif key in starts:
                choices.append((None, starts[key]))
            else:
                choices.append((key, None))
            if key in latest:
                batch.remove(key)
            batch.insert(key, m)
            latest[key] = m
        return choices

    def _best(self, m: MinHash, candidates: set[int], latest: dict[int, MinHash]) -> int | None:
        best: tuple[float, int] | None = None
        for key in candidates:
            score = float(m.jaccard(latest[key] if key in latest else self._hashes[key]))
            if score >= self.threshold and (best is None or (score, -key) > (best[0], -best[1])):
                best = (score, key)
        return best[1] if best else None

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

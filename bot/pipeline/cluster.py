"""Groups the same wire story published by several outlets into one story.

Agencies' copy is reprinted with a local intro, a different headline or a trimmed ending, so exact
hashes miss it; MinHash over word shingles estimates how much text two articles share, and an LSH
index finds candidates without comparing against every recent story. Candidates are then checked with
the actual Jaccard estimate, because LSH bands admit some pairs below the threshold.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SHINGLE_WORDS = 3
TEXT_CHARS = 2000
SEED = 1  # seed and scheme are fixed: fingerprints are stored and must stay comparable across restarts
SCHEME = "affine32"
_WORD = re.compile(r"\w+")
_EMPTY = 0xFFFFFFFF  # every value of a fingerprint of no shingles

_NEW_STORY = 1 << 62
"""Keys of the stories a batch starts, while it is planned (above any story id)."""

# MinHash is computed here with numpy alone, value for value what datasketch 2's MinHash(seed=SEED,
# scheme="affine32") computes (tests/bot/pipeline/test_cluster.py checks it against datasketch), because
# `import datasketch` loads its LSH module, which imports scipy for one integral: 55 MB and a second
# of start-up in every process that groups stories. numpy itself is imported only to compute a
# fingerprint (in the ingest workers); the index compares stored fingerprints as tuples of ints.

Signature = tuple[int, ...]


def _words(title: str, text: str) -> list[str]:
    norm = unicodedata.normalize("NFKC", f"{title}\n{text[:TEXT_CHARS]}").casefold()
    return _WORD.findall(norm)


_PERMUTATIONS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The seed's affine permutations (odd a, any b, modulo 2**32), drawn once per size."""
    import numpy as np

    perms = _PERMUTATIONS.get(num_perm)
    if perms is None:
        gen = np.random.RandomState(SEED)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        perms = _PERMUTATIONS[num_perm] = (a, b)
    return perms


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer: spreads the shingles' hashes before the affine permutations."""
    import numpy as np

    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _shingles(title: str, text: str) -> set[str]:
    words = _words(title, text)
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _signature(title: str, text: str, num_perm: int) -> np.ndarray:
    import numpy as np

    shingles = _shingles(title, text)
    if not shingles:
        return np.full(num_perm, _EMPTY, dtype=np.uint64)
    # SHA-1's first four bytes, little-endian, per shingle (datasketch's sha1_hash32)
    digests = b"".join(hashlib.sha1(s.encode()).digest()[:4] for s in shingles)
    hashes = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32)).reshape(-1, 1)
    a, b = _permutations(num_perm)
    return (hashes * a + b).min(axis=0).astype(np.uint64)


def fingerprint(title: str, text: str, *, num_perm: int = 64) -> bytes:
    """MinHash signature of the title and the first ~2000 characters, as little-endian uint64s."""
    return _signature(title, text, num_perm).astype("<u8").tobytes()


def _from_bytes(fp: bytes, num_perm: int) -> Signature:
    if len(fp) != num_perm * 8:
        raise ValueError(f"fingerprint has {len(fp) / 8:g} values, expected {num_perm}")
    return struct.unpack(f"<{num_perm}Q", fp)


def _jaccard(a: Signature, b: Signature) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _is_empty(values: Signature) -> bool:
    return all(v == _EMPTY for v in values)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two fingerprints' shingle sets."""
    n = len(a) // 8
    return _jaccard(_from_bytes(a, n), _from_bytes(b, n))


def _integral(f: Callable[[float], float], lo: float, hi: float, steps: int = 200) -> float:
    """Simpson's rule; the integrands below are smooth polynomials of the similarity."""
    h = (hi - lo) / steps
    total = f(lo) + f(hi)
    for i in range(1, steps):
        total += (4 if i % 2 else 2) * f(lo + i * h)
    return total * h / 3


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimizing false positives plus false negatives at `threshold`, weighted equally,
    as datasketch's MinHashLSH chooses them."""
    best, chosen = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            def candidate(s: float, b: int = b, r: int = r) -> float:
                return float(1 - (1 - s**r) ** b)  # a pair of similarity s shares a band

            fp = _integral(candidate, 0.0, threshold)
            fn = _integral(lambda s: 1 - candidate(s), threshold, 1.0)
            error = 0.5 * fp + 0.5 * fn
            if error < best:
                best, chosen = error, (b, r)
    return chosen


class _BandIndex:
    """Locality-sensitive hashing: keys whose signatures agree on every row of at least one band."""

    def __init__(self, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows
        self._tables: list[dict[Signature, set[int]]] = [{} for _ in range(bands)]
        self._keys: dict[int, list[Signature]] = {}

    def _band_keys(self, values: Signature) -> list[Signature]:
        r = self.rows
        return [values[i * r : (i + 1) * r] for i in range(self.bands)]

    def insert(self, key: int, values: Signature) -> None:
        bands = self._band_keys(values)
        self._keys[key] = bands
        for table, band in zip(self._tables, bands, strict=True):
            table.setdefault(band, set()).add(key)

    def remove(self, key: int) -> None:
        for table, band in zip(self._tables, self._keys.pop(key), strict=True):
            keys = table[band]
            keys.discard(key)
            if not keys:
                del table[band]

    def query(self, values: Signature) -> set[int]:
        found: set[int] = set()
        for table, band in zip(self._tables, self._band_keys(values), strict=True):
            found.update(table.get(band, ()))
        return found


_BANDS: dict[tuple[float, int], tuple[int, int]] = {}


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
        bands = _BANDS.get((threshold, num_perm))
        if bands is None:
            bands = _BANDS[(threshold, num_perm)] = lsh_bands(threshold, num_perm)
        self._bands = bands
        self._lsh = _BandIndex(*bands)
        self._hashes: dict[int, Signature] = {}
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
        batch = _BandIndex(*self._bands)
        latest: dict[int, Signature] = {}  # stories touched by this batch, under their latest text
        starts: dict[int, int] = {}  # key of a story the batch starts -> index of the item starting it
        choices: list[tuple[int | None, int | None]] = []
        for i, fp in enumerate(fingerprints):
            m = _from_bytes(fp, self.num_perm) if fp else None
            if m is None or _is_empty(m):
                choices.append((None, None))
                continue
            candidates = {k for k in lsh.query(m) if k not in latest} | batch.query(m)
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

    def _best(self, m: Signature, candidates: set[int], latest: dict[int, Signature]) -> int | None:
        best: tuple[float, int] | None = None
        for key in candidates:
            score = _jaccard(m, latest[key] if key in latest else self._hashes[key])
            if score >= self.threshold and (best is None or (score, -key) > (best[0], -best[1])):
                best = (score, key)
        return best[1] if best else None

    def match(self, fp: bytes) -> int | None:
        """The indexed story most similar to `fp` at or above the threshold, or None."""
        m = _from_bytes(fp, self.num_perm)
        if _is_empty(m):
            return None
        best = self._best(m, self._lsh.query(m), {})
        if best is not None:
            log.debug("fingerprint matches story %s (similarity %.2f)", best, _jaccard(m, self._hashes[best]))
        return best


"""Corpus-wide near-duplicates, map-reduce style and bounded in memory.

1. ``sign_documents`` (per shard): MinHash signatures of every paragraph (a non-blank line
   of the text left after the rules) and of the whole document (the union of its paragraphs'
   shingles, so its signature is the element-wise minimum of theirs), plus LSH band hashes.
2. ``band_candidates`` (per band): items whose band hashes collide are candidate pairs
   (each bucket is a star around its first item, so pairs grow linearly).
3. ``decide`` (once): candidates are confirmed by estimated Jaccard (signature rows read from
   the shards' files a batch of pairs at a time), clustered as connected components (numpy),
   and turned into per-document decisions. The kept copy is the earliest by date, then by id:
   it never depends on listing order, shard size or worker count. Memory follows the number of
   candidates, not the size of the corpus.

A paragraph found in ``boilerplate_min_docs`` or more documents (of one site, when the site is
known) is template text and goes everywhere (``repeated_boilerplate``). One shared by fewer
documents stays in the first and goes from the others (``duplicate``). A whole document that
nearly repeats an earlier one is marked ``duplicate``.
"""
from __future__ import annotations

import collections
import functools

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..documents import Document
from .minhash import MinHasher, band_hashes, estimated_jaccard
from .shingles import jaccard, line_shingle_hashes


@dataclass(frozen=True)
class DedupSettings:
    num_perm: int = 128
    threshold: float = 0.8  # confirmed similarity (estimated Jaccard) for a duplicate
    containment: float = 0.9  # or: this much of the smaller document lies in the larger one
    bands: int = 18
    rows: int = 7
    min_words: int = 8  # shorter lines are not compared across documents
    boilerplate_min_docs: int = 5
    action: str = "remove"  # or "flag"
    repeat_threshold: float = 0.8  # nearby repeated lines inside a document
    repeat_window: int = 3


def line_table(docs: list[Document], hasher: MinHasher) -> dict[str, Any]:
    """Every content line of a batch of documents, hashed and signed at once (numpy's cost is
    per call, not per line): its text, its span in its document's current text, its
    shingles, syllable count and MinHash signature. Repeats and signatures both read it."""
    texts, spans, first_line, edited = [], [], [0], []
    for doc in docs:
        et = doc.edited()
        edited.append(et)
        pos = 0
        for part in et.text.split("\n"):
            if part.strip():
                spans.append((pos, pos + len(part)))
                texts.append(part)
            pos += len(part) + 1
        first_line.append(len(texts))
    flat, lens, syllables = line_shingle_hashes(texts, with_counts=True)
    return {"texts": texts, "spans": spans, "first_line": first_line, "edited": edited, "flat": flat, "lens": lens,
            "syllables": syllables, "offs": np.concatenate(([0], np.cumsum(lens))),
            "line_sig": hasher.signatures_from_flat(flat, lens)}  # a line's signature is its own: sign once


def drop_nearby_repeats(docs: list[Document], table: dict[str, Any], threshold: float, window: int) -> list[tuple]:
    """Remove from each document the lines that nearly repeat one of the ``window`` content
    lines before them (``duplicate`` / ``repeated_line`` edits). Returns, per document, its
    surviving line rows, their spans in the new text, and its EditedText. The one function
    for this: the Luigi path (SignShard) and the in-memory chain (``pipeline clean``) call it."""
    out = []
    for d, doc in enumerate(docs):
        lo, hi = table["first_line"][d], table["first_line"][d + 1]
        et, cur = table["edited"][d], table["spans"][lo:hi]
        if window and hi > lo:
            out.append(_drop_repeats(doc, et, table["texts"], cur, table["flat"], table["offs"], table["line_sig"],
                                     lo, hi, threshold, window))
        else:
            out.append((list(range(lo, hi)), cur, et))
    return out


@functools.lru_cache(maxsize=2)
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def remove_nearby_repeats(docs: Iterable[Document], threshold: float = 0.8, window: int = 3, num_perm: int = 128) -> None:
    """:func:`drop_nearby_repeats` on documents alone (no signatures kept): the chain's step."""
    docs = [d for d in docs if d.status != "rejected"]
    if docs and window:
        drop_nearby_repeats(docs, line_table(docs, _hasher(num_perm)), threshold, window)


def sign_documents(docs: Iterable[Document], settings: DedupSettings, hasher: MinHasher) -> dict[str, np.ndarray]:
    """Signatures and band hashes of one shard's documents and paragraphs, as arrays.

    The whole batch is hashed and signed in one go (:func:`line_table`); nearby repeated lines
    then go from their documents (:func:`drop_nearby_repeats`) and from the arrays.
    """
    docs = [d for d in docs if d.status != "rejected"]
    doc_ids = [d.id for d in docs]
    doc_dates = [str(d.metadata.get("date") or "") for d in docs]
    doc_sites = [str(d.metadata.get("sitename") or d.metadata.get("hostname") or "") for d in docs]
    doc_rawlen = [d.raw_len() for d in docs]
    table = line_table(docs, hasher)
    lens, syllables, line_sig = table["lens"], table["syllables"], table["line_sig"]
    kept = drop_nearby_repeats(docs, table, settings.repeat_threshold, settings.repeat_window)

    para_lines, para_doc, para_cur, para_raw = [], [], [], []
    for d, (alive, cur, et) in enumerate(kept):
        to_raw = None
        for k, (start, end) in zip(alive, cur):
            if lens[k] == 0:
                continue  # nothing to compare (no word characters)
            para_lines.append(k)
            para_doc.append(d)
            if syllables[k] >= settings.min_words:  # only these are compared across documents
                to_raw = to_raw or docs[d].raw_mapper(et)
                para_cur.append((start, end))
                para_raw.append((to_raw(start, True), to_raw(end, False)))
    rows = np.asarray(para_lines, dtype=np.int64)
    psig = line_sig[rows]
    para_words = syllables[rows]  # Vietnamese words are syllables
    pdoc = np.asarray(para_doc, dtype=np.int64)
    doc_size = np.zeros(len(doc_ids), dtype=np.int64)  # shingles per document (sum over its lines)
    dsig = np.full((len(doc_ids), settings.num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    has_text = np.zeros(len(doc_ids), dtype=bool)
    if len(pdoc):
        first = np.flatnonzero(np.concatenate(([True], pdoc[1:] != pdoc[:-1])))  # rows come document by document
        owners = pdoc[first]
        doc_size[owners] = np.add.reduceat(lens[rows], first)
        dsig[owners] = np.minimum.reduceat(psig, first, axis=0)  # the union's signature is the minimum of the parts'
        has_text[owners] = True
    # Short paragraphs count in their document's signature but are never compared across
    # documents: they get no rows, so no band bucket pairs them (nor hides a pair behind them).
    compare = para_words >= settings.min_words
    pdoc, psig, para_words = pdoc[compare], psig[compare], para_words[compare]
    return {
        "doc_ids": np.asarray(doc_ids, dtype=str),
        "doc_dates": np.asarray(doc_dates, dtype=str),
        "doc_sites": np.asarray(doc_sites, dtype=str),
        "doc_rawlen": np.asarray(doc_rawlen, dtype=np.int64),
        "doc_has_text": has_text,
        "doc_size": doc_size,
        "doc_sig": dsig,
        "para_doc": pdoc,
        "para_cur": np.asarray(para_cur, dtype=np.int64).reshape(-1, 2),
        "para_raw": np.asarray(para_raw, dtype=np.int64).reshape(-1, 2),
        "para_words": para_words,
        "para_compare": np.ones(len(psig), dtype=bool),  # every row now; an earlier run's index may hold short ones
        "para_sig": psig,
        "doc_bands": band_hashes(dsig, settings.bands, settings.rows),
        "para_bands": band_hashes(psig, settings.bands, settings.rows),
    }


def concat_signed(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``sign_documents`` outputs of consecutive batches as one shard's arrays."""
    if len(parts) == 1:
        return parts[0]
    out = {}
    for key in parts[0]:
        arrs = [p[key] for p in parts]
        if key == "para_doc":  # document rows are numbered within each batch
            starts = np.cumsum([0] + [len(p["doc_ids"]) for p in parts[:-1]])
            arrs = [a + s for a, s in zip(arrs, starts)]
        out[key] = np.concatenate(arrs, axis=1 if key.endswith("_bands") else 0)
    return out


def _drop_repeats(doc: Document, et, texts, cur, flat, offs, line_sig, lo: int, hi: int, threshold: float, window: int):
    """Nearby repeated lines go first (reusing the hashes and signatures just computed); the
    surviving lines' offsets shift by what was removed before them."""
    from .within import find_repeats, repeat_ops

    stripped = [t.strip() for t in texts[lo:hi]]
    # Signatures screen out pairs that cannot reach the threshold: with 128 permutations an
    # estimate 0.3 below the true similarity has odds under 1e-12; the rest get exact Jaccard.
    floor = threshold - 0.3
    uniq: dict[int, np.ndarray] = {}

    def shingles_of(i: int) -> np.ndarray:
        if i not in uniq:
            uniq[i] = np.unique(flat[offs[lo + i] : offs[lo + i + 1]])
        return uniq[i]

    def similarity(i: int, j: int) -> float:
        if estimated_jaccard(line_sig[lo + i], line_sig[lo + j]) < floor:
            return 0.0
        return jaccard(shingles_of(i), shingles_of(j))

    found = find_repeats(stripped, similarity, threshold, window)
    if not found:
        return list(range(lo, hi)), cur, et
    ops = repeat_ops(doc.id, cur, found, et.text, doc.raw_mapper(et))
    et.apply(ops)
    doc.update(et)
    gone = {i for i, _, _ in found}
    cuts = {op.start: op.end - op.start for op in ops}
    alive, new_cur, removed = [], [], 0
    for k, (start, end) in enumerate(cur):
        if k in gone:
            removed += cuts[start]
            continue
        alive.append(lo + k)
        new_cur.append((start - removed, end - removed))
    return alive, new_cur, et


def band_candidates(columns: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Candidate pairs (global item ids) from one band: ``columns`` is [(ids, hashes)] per shard."""
    if not columns:
        return np.zeros((0, 2), dtype=np.int64)
    ids = np.concatenate([c[0] for c in columns])
    hashes = np.concatenate([c[1] for c in columns])
    if len(ids) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    # By hash, then by id: deterministic buckets. Columns come sorted by hash, with ids rising
    # within a hash and from column to column, so a stable sort by hash alone (a merge of
    # sorted runs) gives that order; lexsort, 7x slower here, only when it does not.
    order = np.argsort(hashes, kind="stable")
    h, i = hashes[order], ids[order]
    same = h[1:] == h[:-1]
    if (same & (i[1:] < i[:-1])).any():
        order = np.lexsort((ids, hashes))
        h, i = hashes[order], ids[order]
    if not same.any():
        return np.zeros((0, 2), dtype=np.int64)
    # star: pair every bucket member with the bucket's first (smallest id) item
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    first_of = np.repeat(starts, np.diff(np.concatenate((starts, [len(h)]))))
    members = np.flatnonzero(np.concatenate(([False], same)))
    return np.stack([i[first_of[members]], i[members]], axis=1)


def sort_bands(arrays: dict[str, np.ndarray]) -> None:
    """Each band's hashes sorted (``*_bands``), with the rows they belong to (``*_band_rows``):
    a band task can then take one slice of hash values from every shard at a time."""
    for kind in ("doc", "para"):
        bands = arrays[f"{kind}_bands"]
        order = np.argsort(bands, axis=1, kind="stable")
        arrays[f"{kind}_bands"] = np.take_along_axis(bands, order, axis=1)
        arrays[f"{kind}_band_rows"] = order.astype(np.uint32)


def band_candidates_ranged(sources: list[tuple[int, str, str]], band: int, max_items: int = 1 << 19) -> np.ndarray:
    """``band_candidates`` over every shard's sorted band files [(shard, hashes .npy, rows .npy)],
    a range of hash values at a time: equal hashes fall in one range, so the pairs (and their
    order) are the same as from one pass over everything, and memory holds about
    ``max_items`` items, however large the corpus."""
    sizes = [np.load(h, mmap_mode="r").shape[1] for _, h, _ in sources]
    n_ranges = max(1, -(-sum(sizes) // max_items))
    # Hash values are uniform over 64 bits: equal-width ranges hold about equal numbers of items.
    bounds = [0] + [(k << 64) // n_ranges for k in range(1, n_ranges)]
    cuts = []
    for _, h, _ in sources:  # where each range starts in each shard (binary search on the file)
        hashes = np.load(h, mmap_mode="r")
        if hashes.shape[0] <= band:
            raise ValueError(f"{h} has {hashes.shape[0]} bands; the settings differ from that run's")
        row = hashes[band]
        cuts.append(np.append(np.searchsorted(row, np.asarray(bounds, dtype=np.uint64)), row.shape[0]))
        del hashes, row
    out = []
    for r in range(n_ranges):
        cols = []
        for (shard, h, rows), cut in zip(sources, cuts):
            lo, hi = int(cut[r]), int(cut[r + 1])
            if hi > lo:  # copies of the slices: the maps close, no file pages stay counted
                col = np.array(np.load(h, mmap_mode="r")[band, lo:hi])
                local = np.array(np.load(rows, mmap_mode="r")[band, lo:hi], dtype=np.int64)
                cols.append((gid(shard, local), col))
        if cols:
            out.append(band_candidates(cols))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


# An item (a document or a paragraph) across the corpus is one int64: its shard in the high
# 32 bits, its row in that shard's arrays in the low 32. These four are the only places that
# know the layout.
_ROW_BITS = 32
_ROW_MASK = (1 << _ROW_BITS) - 1


def gid(shard, local):
    """The global id of row ``local`` of shard ``shard`` (ints or arrays)."""
    return (np.asarray(shard, dtype=np.int64) << np.int64(_ROW_BITS)) | np.asarray(local, dtype=np.int64)


def shard_of(g):
    """The shard of a global id: an int for an int, an array for an array."""
    if isinstance(g, np.ndarray):
        return g >> np.int64(_ROW_BITS)
    return int(g) >> _ROW_BITS


def row_of(g):
    """The row of a global id within its shard: an int for an int, an array for an array."""
    if isinstance(g, np.ndarray):
        return g & np.int64(_ROW_MASK)
    return int(g) & _ROW_MASK


def split_gid(g):
    return shard_of(g), row_of(g)


PRIOR_SHARD_BASE = 1 << 20  # shards of an earlier run's index (--against) are numbered from here


def _order_key(date: str, doc_id: str, prior: bool = False) -> tuple:
    """Earlier runs first, then dated documents, earliest first, then id."""
    return (not prior, date == "", date, doc_id)


# --- signatures, read where they lie --------------------------------------------------------


class SignatureFiles:
    """Signature rows read from each shard's ``.npy`` files on demand, a batch at a time.

    The corpus-wide step never holds every candidate's signature (512 bytes each at 128
    permutations: the bulk of its memory before): each batch maps the files it needs, copies
    its rows and lets the mapping go.
    """

    def __init__(self, paths: dict[int, dict[str, str]]):
        self.paths = paths  # shard -> {"doc_sig": path, "para_sig": path}

    def rows(self, kind: str, gids: np.ndarray) -> np.ndarray:
        shard, local = split_gid(gids)
        out = None
        order = np.argsort(shard, kind="stable")
        bounds = np.flatnonzero(np.diff(shard[order])) + 1
        for idx in np.split(order, bounds) if len(order) else []:
            m = np.load(self.paths[int(shard[idx[0]])][f"{kind}_sig"], mmap_mode="r")
            if out is None:
                out = np.empty((len(gids), m.shape[1]), dtype=m.dtype)
            out[idx] = m[local[idx]]
            del m
        return out if out is not None else np.zeros((0, 0), np.uint32)


class SignatureArrays:
    """``SignatureFiles``' interface over arrays in memory (tests, small runs)."""

    def __init__(self, shards: dict[int, dict[str, np.ndarray]]):
        self.shards = shards

    def rows(self, kind: str, gids: np.ndarray) -> np.ndarray:
        shard, local = split_gid(gids)
        if not len(gids):
            return np.zeros((0, 0), np.uint32)
        return np.stack([self.shards[int(s)][f"{kind}_sig"][int(i)] for s, i in zip(shard, local)])


def pair_similarity(store, kind: str, a: np.ndarray, b: np.ndarray, batch: int = 1 << 15) -> np.ndarray:
    """Estimated Jaccard of each pair (a[k], b[k]), in batches of bounded memory."""
    out = np.zeros(len(a), dtype=np.float64)
    for s in range(0, len(a), batch):
        ra, rb = store.rows(kind, a[s : s + batch]), store.rows(kind, b[s : s + batch])
        out[s : s + batch] = np.count_nonzero(ra == rb, axis=1) / ra.shape[1]
    return out


def components(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Connected components of the graph with edges (a[k], b[k]), each as a sorted array of
    its nodes, in order of their smallest node. Hooking and pointer jumping in numpy: no
    Python object per node."""
    if not len(a):
        return []
    nodes = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    lab = np.arange(len(nodes))
    while True:
        la, lb = lab[ia], lab[ib]
        if np.array_equal(la, lb):
            break
        low = np.minimum(la, lb)
        np.minimum.at(lab, la, low)
        np.minimum.at(lab, lb, low)
        while True:  # point every node at its root
            nxt = lab[lab]
            if np.array_equal(nxt, lab):
                break
            lab = nxt
    order = np.lexsort((nodes, lab))
    cuts = np.flatnonzero(np.diff(lab[order])) + 1
    return [nodes[g] for g in np.split(order, cuts)]


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """Distinct unordered pairs (a < b), as an (n, 2) array sorted by a, then b."""
    if len(pairs) == 0:
        return np.zeros((0, 2), np.int64)
    p = np.sort(pairs, axis=1)
    p = p[p[:, 0] != p[:, 1]]
    if len(p) > 1 and np.all((p[1:, 0] > p[:-1, 0]) | ((p[1:, 0] == p[:-1, 0]) & (p[1:, 1] > p[:-1, 1]))):
        return p  # already distinct and in order (as merge_pairs gives them)
    p = p[np.lexsort((p[:, 1], p[:, 0]))]
    keep = np.ones(len(p), dtype=bool)
    keep[1:] = (p[1:, 0] != p[:-1, 0]) | (p[1:, 1] != p[:-1, 1])
    return p[keep]


class CompactIds:
    """Global ids (shard << 32 | row) numbered 0, 1, 2, ... in the same order, so that a pair
    fits in one uint64 and sets of pairs sort as plain integers."""

    def __init__(self, counts: dict[int, int]):
        self.shards = np.asarray(sorted(counts), dtype=np.int64)
        sizes = np.asarray([counts[s] for s in sorted(counts)], dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        if int(sizes.sum()) >= 1 << 32:
            raise ValueError("more than 4 billion items in one corpus step")

    def encode(self, gids: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.shards, shard_of(gids))
        return self.starts[idx] + row_of(gids)

    def decode(self, compact: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.starts, compact, side="right") - 1
        return gid(self.shards[idx], compact - self.starts[idx])


def merge_pairs(bands, ids: CompactIds) -> np.ndarray:
    """The distinct pairs of many bands' candidate pairs, merged band by band (the same pair
    from several bands is kept once; all bands' pairs are never in memory together)."""
    keys = np.zeros(0, dtype=np.uint64)
    for pairs in bands:
        if not len(pairs):
            continue
        a, b = ids.encode(pairs[:, 0]), ids.encode(pairs[:, 1])
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        k = (lo[lo != hi].astype(np.uint64) << np.uint64(32)) | hi[lo != hi].astype(np.uint64)
        k.sort()
        # Two sorted runs: a stable sort (timsort) merges them in linear time; then drop repeats.
        keys = np.concatenate([keys, k])
        keys.sort(kind="stable")
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    lo = (keys >> np.uint64(32)).astype(np.int64)
    hi = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return np.stack([ids.decode(lo), ids.decode(hi)], axis=1) if len(keys) else np.zeros((0, 2), np.int64)


def candidate_pairs(sources: list[tuple[int, str, str]], n_bands: int, threads: int = 2) -> np.ndarray:
    """Distinct candidate pairs of every LSH band over ``sources`` ((shard, bands file, band
    rows file) each). Bands are computed ``threads`` at a time (numpy lets go of the GIL) and
    merged in band order, so the result never depends on the threads and memory holds at most
    ``threads`` bands' pairs besides the merged ones."""
    from concurrent.futures import ThreadPoolExecutor

    counts = {k: np.load(bands, mmap_mode="r").shape[1] for k, bands, _ in sources}
    with ThreadPoolExecutor(threads) as pool:
        pending: collections.deque = collections.deque()

        def in_order():
            for band in range(n_bands):
                pending.append(pool.submit(band_candidates_ranged, sources, band))
                if len(pending) > threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

        return merge_pairs(in_order(), CompactIds(counts))


class _Fields:
    """Per-item values gathered from the shards' small arrays by global id.

    A shard may hold only some rows: ``_doc_rows`` / ``_para_rows`` then list (sorted) which
    local ids its ``doc_*`` / ``para_*`` arrays hold (see ``subset_rows``).
    """

    def __init__(self, shards: dict[int, dict[str, Any]]):
        self.shards = shards

    def _pos(self, sh: dict, name: str, local):
        rows = sh.get("_doc_rows" if name.startswith("doc_") else "_para_rows")
        return local if rows is None else np.searchsorted(rows, local)

    def get(self, name: str, gids: np.ndarray) -> np.ndarray:
        shard, local = split_gid(gids)
        if not len(gids):
            return np.zeros(0)
        first = self.shards[int(shard[0])][name]
        out = np.empty((len(gids),) + first.shape[1:], dtype=first.dtype if first.dtype.kind not in "US" else object)
        order = np.argsort(shard, kind="stable")
        for idx in np.split(order, np.flatnonzero(np.diff(shard[order])) + 1):
            sh = self.shards[int(shard[idx[0]])]
            out[idx] = sh[name][self._pos(sh, name, local[idx])]
        return out

    def one(self, name: str, g: int):
        sh = self.shards[shard_of(g)]
        return sh[name][int(self._pos(sh, name, row_of(g)))]


def rows_by_shard(gids) -> dict[int, np.ndarray]:
    """Distinct global ids grouped by shard: {shard: sorted local ids}."""
    gids = np.unique(np.asarray(gids, np.int64).reshape(-1))
    cuts = np.flatnonzero(np.diff(shard_of(gids))) + 1
    return {shard_of(g[0]): row_of(g) for g in np.split(gids, cuts) if len(g)}


class _Corpus:
    """What the corpus-wide decisions look items up in: the shards' small arrays, the
    signature store and the settings, with the few questions every step asks of an item."""

    def __init__(self, shards: dict[int, dict[str, Any]], settings: DedupSettings, store=None):
        self.shards, self.settings = shards, settings
        self.store = store or SignatureArrays(shards)
        self.f = _Fields(shards)

    @staticmethod
    def is_prior(g: int) -> bool:
        return shard_of(g) >= PRIOR_SHARD_BASE

    def ref_of(self, g: int, start: int, end: int) -> dict[str, Any]:
        ref = {"id": str(self.f.one("doc_ids", g)), "start": start, "end": end}
        run = self.shards[shard_of(g)].get("run")
        if run is not None:
            ref["run"] = str(run)  # kept in an earlier run's output (--against)
        return ref

    def order_key(self, g: int) -> tuple:
        return _order_key(str(self.f.one("doc_dates", g)), str(self.f.one("doc_ids", g)), self.is_prior(g))

    def doc_matches(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(similarity, near-duplicate?) per pair: close, or one document inside the other."""
        j = pair_similarity(self.store, "doc", a, b)
        na, nb = self.f.get("doc_size", a).astype(float), self.f.get("doc_size", b).astype(float)
        small = np.minimum(na, nb)
        inter = j * (na + nb) / (1 + j)  # |A ∩ B| from the Jaccard and the set sizes
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = (j >= 0.5) & (small > 0) & (inter / np.where(small > 0, small, 1) >= self.settings.containment)
        return j, (j >= self.settings.threshold) | inside

    def para_doc(self, p: np.ndarray) -> np.ndarray:
        """The global id of each paragraph's document."""
        return gid(shard_of(p), self.f.get("para_doc", p))


def decide(shards: dict[int, dict[str, Any]], doc_pairs, para_pairs, settings: DedupSettings,
           store=None) -> dict[int, dict[str, dict[str, Any]]]:
    """Per shard, per document id: {"duplicate_of", "similarity"} and/or {"paragraphs": [...]}.

    ``shards`` holds each shard's small arrays (ids, dates, offsets, flags); signatures come
    from ``store`` (``SignatureFiles``), or from ``shards`` when it holds them. Whole
    documents first (:func:`match_documents`), then the paragraphs of the others
    (:func:`cluster_paragraphs`).
    """
    c = _Corpus(shards, settings, store)
    out: dict[int, dict[str, dict[str, Any]]] = {s: {} for s in shards if s < PRIOR_SHARD_BASE}
    dup_docs = match_documents(c, doc_pairs, out)
    cluster_paragraphs(c, para_pairs, dup_docs, out)
    for per_shard in out.values():
        for rec in per_shard.values():
            if "paragraphs" in rec:
                rec["paragraphs"].sort(key=lambda x: x["start"])
    return out


def match_documents(c: _Corpus, doc_pairs, out: dict) -> set[int]:
    """Near-duplicate documents: candidate pairs confirmed, joined into groups; in each group
    the first (earliest date, then id; an earlier run's first of all) is kept and the others
    get ``duplicate_of``. Returns the global ids of the duplicates."""
    f = c.f
    pairs = _unique_pairs(np.asarray(doc_pairs, dtype=np.int64).reshape(-1, 2))
    a, b = pairs[:, 0], pairs[:, 1]
    both = f.get("doc_has_text", a).astype(bool) & f.get("doc_has_text", b).astype(bool) if len(a) else np.zeros(0, bool)
    a, b = a[both], b[both]
    _, ok = c.doc_matches(a, b)
    members, kept_of = [], []
    for group in components(a[ok], b[ok]):
        kept = min(group.tolist(), key=c.order_key)
        for g in group.tolist():
            if g != kept:
                members.append(g)
                kept_of.append(kept)
    dup_docs: set[int] = set()
    if members:
        m, k = np.asarray(members, np.int64), np.asarray(kept_of, np.int64)
        sims, ok = c.doc_matches(m, k)  # joined through a third document only: not close enough
        for g, kept, s_, good in zip(m.tolist(), k.tolist(), sims.tolist(), ok.tolist()):
            if not good:
                continue
            dup_docs.add(g)
            if c.is_prior(g):
                continue  # an earlier run's documents are not decided again
            out[shard_of(g)].setdefault(str(f.one("doc_ids", g)), {}).update({
                "duplicate_of": c.ref_of(kept, 0, int(f.one("doc_rawlen", kept))),
                "similarity": round(s_, 4),
            })
    return dup_docs


def cluster_paragraphs(c: _Corpus, para_pairs, dup_docs: set[int], out: dict) -> None:
    """Paragraphs shared across documents (duplicate documents take no part: they are left out
    whole): in ``boilerplate_min_docs`` documents of one site, template text everywhere;
    otherwise kept in the first document and removed from the others."""
    f, settings = c.f, c.settings
    pairs = _unique_pairs(np.asarray(para_pairs, dtype=np.int64).reshape(-1, 2))
    a, b = pairs[:, 0], pairs[:, 1]
    if len(a):
        da, db = c.para_doc(a), c.para_doc(b)
        dups = np.fromiter(dup_docs, np.int64, len(dup_docs))
        keep = (f.get("para_compare", a).astype(bool) & f.get("para_compare", b).astype(bool) & (da != db)
                & ~np.isin(da, dups) & ~np.isin(db, dups))  # repeats inside one document: the within stage's job
        a, b = a[keep], b[keep]
    ok = pair_similarity(c.store, "para", a, b) >= settings.threshold if len(a) else np.zeros(0, bool)
    later: list[tuple[int, int, int, dict]] = []  # (paragraph, its document, kept paragraph, ref)
    for group in components(a[ok], b[ok]):
        docs_of = c.para_doc(group).tolist()
        by_doc: dict[int, list[int]] = {}
        for p, d in zip(group.tolist(), docs_of):
            by_doc.setdefault(d, []).append(p)
        if len(by_doc) < 2:
            continue
        sites: dict[str, set[int]] = {}
        for d in by_doc:
            sites.setdefault(str(f.one("doc_sites", d)), set()).add(d)
        boiler_docs = set().union(*(ds for ds in sites.values() if len(ds) >= settings.boilerplate_min_docs)) if sites else set()
        rest = [d for d in by_doc if d not in boiler_docs]
        for d in sorted(boiler_docs):
            if c.is_prior(d):
                continue
            for p in by_doc[d]:
                _add_para(out, f, p, d, "repeated_boilerplate", "minhash_template", None, {"documents": len(by_doc)})
        if len(rest) < 2:
            continue
        kept_doc = min(rest, key=c.order_key)
        kept_p = by_doc[kept_doc][0]
        raw = f.one("para_raw", kept_p)
        ref = c.ref_of(kept_doc, int(raw[0]), int(raw[1]))
        for d in rest:
            if d == kept_doc or c.is_prior(d):
                continue
            for p in by_doc[d]:
                later.append((p, d, kept_p, ref))
    if later:
        sims = pair_similarity(c.store, "para", np.asarray([x[0] for x in later], np.int64),
                               np.asarray([x[2] for x in later], np.int64))
        for (p, d, _, ref), s_ in zip(later, sims.tolist()):
            if s_ >= settings.threshold:
                _add_para(out, f, p, d, "duplicate", "minhash_shared_paragraph", ref, {"similarity": round(s_, 4)})


def _add_para(out, f: _Fields, p: int, d: int, reason: str, rule: str, ref, extra: dict) -> None:
    start, end = (int(x) for x in f.one("para_cur", p))
    item = {"start": start, "end": end, "reason": reason, "rule": rule, **extra}
    if ref is not None:
        item["duplicate_of"] = ref
    out[shard_of(p)].setdefault(str(f.one("doc_ids", d)), {}).setdefault("paragraphs", []).append(item)


def apply_decision(doc: Document, decision: dict[str, Any] | None, action: str = "remove") -> Document:
    """Turn this document's corpus-wide decision into edits (or flags, with action='flag')."""
    from ..documents import Op

    if not decision or doc.status == "rejected":
        return doc
    flags = []
    if "duplicate_of" in decision:
        if action == "remove":
            doc.status = "duplicate"
            doc.info["duplicate_of"] = decision["duplicate_of"]
            doc.info["similarity"] = decision["similarity"]
        else:
            flags.append({"reason": "duplicate", "rule": "minhash_document", "duplicate_of": decision["duplicate_of"],
                          "similarity": decision["similarity"]})
    paras = decision.get("paragraphs", [])
    if paras:
        et = doc.edited()
        text = et.text
        ops = []
        for p in paras:
            end = p["end"] + 1 if text[p["end"] : p["end"] + 1] == "\n" else p["end"]
            extra = {k: v for k, v in p.items() if k not in ("start", "end", "reason", "rule")}
            if action == "remove":
                ops.append(Op(p["start"], end, "", p["reason"], p["rule"], extra or None))
            else:
                to_raw = doc.raw_mapper(et)
                flags.append({"start": to_raw(p["start"]), "end": to_raw(p["end"], False),
                              "reason": p["reason"], "rule": p["rule"], **extra})
        et.apply(ops)
        doc.update(et)
    if flags:
        doc.info["flags"] = flags
    return doc

"""The Luigi shell: shards, ordering, resuming and writing. No cleaning logic lives here.

    RepairShard ─▶ StripShard ─▶ SignShard ─▶ NearDuplicates (corpus-wide: LSH bands, decisions)
                                        │                            │
                                        └──────────────▶ EmitShard ◀─┘
                                                             └─▶ CleanAll (merge, summary, index/)

Each shard task's output name carries a fingerprint of its inputs (their content's digests)
and of the settings and code; the corpus-wide tasks and every emit carry the run's digest. A
task's Luigi output is a record of its files with their lengths and hashes, so damaged state
is rebuilt, not trusted. Planning is in :mod:`pipeline.planning`, the final merge and publish
in :mod:`pipeline.merge` and :mod:`pipeline.publish`, the checks before a run in
:mod:`pipeline.guard`.
"""
from __future__ import annotations

import array
import hashlib
import itertools
import json
import os
import shutil
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, Iterator

import luigi
import luigi.format

from .documents import Document
from .learn import words_model_file
from .provenance import Totals, clean_record, id_hash, manifest_record
from .report import ReportStats
from .stagefiles import VERSION as STAGE_VERSION
from .stagefiles import read_docs, write_docs
from .readers import InputFile, read_documents
from .stagefiles import content_hash, hashed_open, read_record, verify_record, write_record
from .writers import atomic_open, dumps, dumps_bytes, loads, safe_child, write_atomic, write_in_place
from . import guard, publish
from .dedup.index import ShardIndex
from .summary import format_summary
from .planning import (INDEX, SIDE_ARRAYS, STAGES, _shard_plan_path, auto_shard_size, in_child, prior_fingerprint,
                       prior_index, shard_args_from_plan, write_plan)

__all__ = ["CleanAll", "RepairShard", "StripShard", "SignShard", "NearDuplicates", "EmitShard", "cleaning",
           "auto_shard_size", "format_summary", "INDEX", "SIDE_ARRAYS"]


class cleaning(luigi.Config):
    """Settings from luigi.cfg ``[cleaning]``; they are part of every output's fingerprint."""

    rule_pack = luigi.Parameter(default="vi", description="rule pack name or path to a .toml file")
    disabled_reasons = luigi.Parameter(default="", description="comma-separated reasons whose rules are off, e.g. caption")
    line_model = luigi.Parameter(default="", description="line model name or .json path instead of the pack's; none: rules alone")
    repeat_threshold = luigi.FloatParameter(default=0.8, description="similarity at which a nearby line is a repeat")
    repeat_window = luigi.IntParameter(default=3, description="how many lines back a repeat may stand")
    max_bytes = luigi.IntParameter(default=64 * 1024 * 1024, description="largest input file read, in bytes")
    num_perm = luigi.IntParameter(default=128, description="MinHash permutations")
    dedup_threshold = luigi.FloatParameter(default=0.8, description="estimated Jaccard for a near-duplicate")
    lsh_threshold = luigi.FloatParameter(default=0.6, description="LSH tuning threshold (below dedup_threshold, for recall)")
    dedup_min_words = luigi.IntParameter(default=8, description="shorter lines are not compared across documents")
    boilerplate_min_docs = luigi.IntParameter(default=5, description="a paragraph in this many documents is template text")
    dedup_action = luigi.ChoiceParameter(default="remove", choices=["remove", "flag"], description="remove, or only flag in the manifest")
    progress = luigi.BoolParameter(default=True, description="print one line per finished shard")
    dataset_format = luigi.ChoiceParameter(default="jsonl", choices=["jsonl", "parquet"],
                                           description="dataset/ shards: gzip JSON lines, or Parquet (needs pyarrow)")

    def disabled(self) -> frozenset[str]:
        """``disabled_reasons`` as the set of reasons whose rules are off."""
        return frozenset(r.strip() for r in self.disabled_reasons.split(",") if r.strip())


def settings_digest() -> str:
    """Settings plus the package's own code and rule packs: change either, rerun."""
    c = cleaning()
    h = hashlib.sha256()
    keys = ("rule_pack", "disabled_reasons", "line_model", "repeat_threshold", "repeat_window", "max_bytes",
            "num_perm", "dedup_threshold", "lsh_threshold", "dedup_min_words", "boilerplate_min_docs", "dedup_action",
            "dataset_format")
    h.update(dumps({k: getattr(c, k) for k in keys}).encode())
    h.update(STAGE_VERSION.encode())  # stage files are marshal: tied to the Python version
    root = Path(__file__).parent
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".toml", ".json") and "__pycache__" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    for key, own in (("rule_pack", c.rule_pack), ("line_model", c.line_model)):
        if own.endswith((".toml", ".json")):
            try:
                h.update(Path(own).read_bytes())
            except OSError as e:  # before check_settings has loaded it: the same refusal
                what = "rule pack" if key == "rule_pack" else "line model"
                raise guard.Refused(f"[cleaning] {key} = {own}: cannot read the {what} ({e.strerror or e})") from None
    # a caption-words model a pack names by path (outside the package) is a setting too; the
    # TOML is only read here (the engine loads, and checks, the pack beside the listing)
    packs = [Path(c.rule_pack)] if c.rule_pack.endswith(".toml") else sorted((root / "rules" / "packs").glob("*.toml"))
    for pack in packs:
        try:
            words = tomllib.loads(pack.read_text(encoding="utf-8")).get("caption", {}).get("words_model", "")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            continue  # check_settings refuses such a pack in one sentence
        if isinstance(words, str) and words.endswith(".json"):
            model = words_model_file(pack, words)
            try:
                h.update(model.read_bytes())
            except OSError as e:
                raise guard.Refused(f"{pack}: cannot read the caption-words model {model} ({e.strerror or e})") from None
    return h.hexdigest()[:16]


def _read_settings(**overrides) -> cleaning:
    try:
        return cleaning(**overrides)
    except Exception as e:  # luigi's parse errors have no common base class
        raise guard.Refused(f"a [cleaning] setting cannot be read: {e}") from None


def check_settings(c: cleaning | None = None) -> None:
    """The ``[cleaning]`` settings (``c``, else as configured), checked before anything runs: a
    value luigi cannot parse, a rule pack or line model that does not load, an unknown reason or
    a share outside 0-1 is one sentence naming the setting, not a traceback from inside a task."""
    from .boilerplate import line_model_for
    from .language import packs_for
    from .linediff import known_reasons
    from .rules.engine import PackError, load_pack

    c = _read_settings() if c is None else c
    try:
        packs = [load_pack(name) for name in packs_for(c.rule_pack)]
        for pack in packs:
            line_model_for(pack, c.line_model or None)
    except (PackError, ValueError, OSError) as e:
        model = c.line_model or "the pack's"
        raise guard.Refused(f"[cleaning] rule_pack = {c.rule_pack}, line_model = {model}: {e}") from None
    known = known_reasons() | {r.reason for pack in packs for r in pack.lines + pack.blocks + pack.inline}  # a pack by path too
    for reason in sorted(c.disabled()):
        if reason not in known:
            raise guard.Refused(f"[cleaning] disabled_reasons: unknown reason {reason!r}; the reasons are: "
                                f"{', '.join(sorted(known))}")
    for key in ("repeat_threshold", "dedup_threshold", "lsh_threshold"):
        if not 0 < getattr(c, key) <= 1:
            raise guard.Refused(f"[cleaning] {key} = {getattr(c, key)}: it is a similarity, between 0 and 1")


def _warm() -> None:
    """Work every task repeats, done once in the scheduling process: with ``--workers N``
    luigi forks a process per task, and each inherits this instead of redoing it."""
    from .language import packs_for

    langid = None
    if len(packs_for(cleaning().rule_pack)) > 1:  # auto: py3langid's model, 0.4 s to unpack
        import threading

        from .language import _model

        # Once here, not in every rules task that meets a document the gates leave; on a
        # thread, as its LZMA unpacking lets go of the GIL while the rest below is done.
        langid = threading.Thread(target=_model)
        langid.start()
    # The stages' modules: imported here, beside the listing, rather than when the package is
    # (``luigi --module pipeline`` would import them before the listing could start).
    from . import chain, encoding, textarray  # noqa: F401
    from .boilerplate import strip_documents  # noqa: F401
    from .dedup import corpus, minhash  # noqa: F401  (numpy, xxhash)
    from .merge import merge_run  # noqa: F401
    from .rules.engine import load_pack

    dedup_settings()  # LSH parameters: a numerical integration
    from .boilerplate import line_model_for

    for name in packs_for(cleaning().rule_pack):  # compiles the packs' patterns (all of them for auto)
        model = line_model_for(load_pack(name), cleaning().line_model or None)
        if model is not None:  # lightgbm imported and both boosters built once, not per task
            model._remove, model._reason
    textarray._tables()  # character classes for the 65,536 BMP code points
    textarray._powers(1 << 21)  # hash powers for a batch of lines (dedup.shingles._CHUNK_CHARS and more)
    if langid is not None:
        langid.join()  # before any fork: a child must not inherit a half-made model
    # What exists now is shared with every task's forked process. Out of the collector's
    # reach, its pages stay shared: a collection would write to every object's header and
    # make the child copy those pages (measured: a third of the page faults with 2 workers).
    import gc

    gc.collect()
    gc.freeze()


def _peak_mb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _progress(msg: str) -> None:
    if cleaning().progress and not sys.stderr.isatty():  # on a terminal: one live line (progress.py)
        print(f"[pipeline] {msg}", file=sys.stderr, flush=True)


class _Recorded(luigi.Task):
    """A task whose output is a record of the files it wrote, each with its length and hash:
    complete means every file is still there, whole and unchanged (a damaged or deleted one
    makes the task run again), not merely that a name exists."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:  # disk full, read-only, an input changed: one sentence each
            cls.run = guard.sentences_for_errors(cls.__dict__["run"])

    def record_path(self) -> str:
        raise NotImplementedError

    def output(self):
        return luigi.LocalTarget(self.record_path(), format=luigi.format.Nop)

    def complete(self):
        return verify_record(self.record_path(), os.path.dirname(self.record_path()))

    def seal(self, paths, entries=None, extra=None) -> None:
        base = os.path.dirname(self.record_path())
        write_record(self.record_path(), base, [os.path.relpath(p, base) for p in paths], extra, entries)


class _ShardTask(_Recorded):
    """One shard of the input: a few hundred to a few thousand documents."""

    input_dir = luigi.Parameter()
    output_dir = luigi.Parameter()
    shard = luigi.IntParameter()
    n_shards = luigi.IntParameter(significant=False)
    fingerprint = luigi.Parameter(description="digest of this shard's inputs and the settings")
    plan = luigi.Parameter(significant=False, description="the run's plan file: which inputs are in which shard")

    stage = ""

    def key(self) -> str:
        return f"{self.shard:05d}-{self.fingerprint}"

    def stage_path(self, stage: str | None = None, ext: str = "jsonl") -> str:
        return os.path.join(self.output_dir, STAGES, stage or self.stage, f"{self.key()}.{ext}")

    def record_path(self) -> str:
        return self.stage_path(ext="rec")

    def files(self) -> dict[str, str]:
        return {"docs": self.stage_path(ext="docs")}

    def shard_args(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("input_dir", "output_dir", "shard", "n_shards", "fingerprint", "plan")}

    def inputs(self) -> list[InputFile]:
        with open(_shard_plan_path(self.plan, self.shard), encoding="utf-8") as f:
            rows = json.load(f)
        return [InputFile(i, r, s, m, bool(o), h, p) for i, r, s, m, o, h, p in rows]

    def transform(self, docs: Iterator[Document]) -> Iterator[Document]:
        raise NotImplementedError

    def source_docs(self) -> Iterator[Document]:
        return read_docs(self.requires().files()["docs"])

    def run(self):
        t0 = time.perf_counter()
        path, entries = self.files()["docs"], {}
        with hashed_open(path, entries, os.path.dirname(self.record_path())) as out:
            n = write_docs(out, self.transform(self.source_docs()), with_raw=self.stage == "repair")
        self.seal([], entries)
        _progress(f"{self.stage:<7} shard {self.shard + 1}/{self.n_shards}: {n} documents in {time.perf_counter() - t0:.2f} s, "
                  f"peak RSS {_peak_mb()} MB")


class RepairShard(_ShardTask):
    """Read and decode each input (or extract it, for HTML), then repair its encoding."""

    stage = "repair"
    # Stage by stage: every repair, then every strip, then every signature. The corpus step
    # waits for the last signature, so what counts is that the last ones end together: with
    # a shard's whole chain left to the end, one worker sat idle for most of a chain.
    priority = 3

    def requires(self):
        return []

    def source_docs(self):
        max_bytes = cleaning().max_bytes
        for inp in self.inputs():
            yield from read_documents(self.input_dir, inp, max_bytes)

    def transform(self, docs):
        from . import chain

        return (chain.repair_document(d, fold_crlf=True) for d in docs)


class StripShard(_ShardTask):
    """Related-news, caption and page-furniture removal with the rule pack."""

    stage = "strip"
    priority = 2

    def requires(self):
        return RepairShard(**self.shard_args())

    def transform(self, docs):
        from .boilerplate import strip_documents

        c = cleaning()
        return strip_documents(docs, c.rule_pack, c.disabled(), c.line_model or None)


def dedup_settings() -> "corpus.DedupSettings":
    from .dedup import corpus

    c = cleaning()
    from .dedup.minhash import lsh_params

    bands, rows = lsh_params(c.lsh_threshold, c.num_perm)
    return corpus.DedupSettings(
        num_perm=c.num_perm, threshold=c.dedup_threshold, bands=bands, rows=rows,
        min_words=c.dedup_min_words, boilerplate_min_docs=c.boilerplate_min_docs, action=c.dedup_action,
        repeat_threshold=c.repeat_threshold, repeat_window=c.repeat_window,
    )


class SignShard(_ShardTask):
    """Nearby repeated lines, then MinHash signatures of each paragraph and document and their
    LSH band hashes (one pass over the shingles serves both)."""

    stage = "sign"
    priority = 1

    def requires(self):
        return {"docs": StripShard(**self.shard_args()), "raw": RepairShard(**self.shard_args())}

    def files(self) -> dict[str, str]:
        return {"docs": self.stage_path(ext="docs"), **ShardIndex(self.stage_path(ext="")[:-1]).paths()}

    def run(self):
        from .dedup import corpus
        from .dedup.minhash import MinHasher

        t0 = time.perf_counter()
        st = dedup_settings()
        out, entries, base = self.files(), {}, os.path.dirname(self.record_path())
        hasher = MinHasher(st.num_perm)
        parts = []
        req = self.requires()
        docs = read_docs(req["docs"].files()["docs"], raw_from=req["raw"].files()["docs"])
        with hashed_open(out["docs"], entries, base) as f:
            # In batches: numpy's cost is per call, so a batch is large, but a shard's texts
            # are never all in memory at once, whatever the shard size.
            while batch := list(itertools.islice(docs, SIGN_BATCH)):
                parts.append(corpus.sign_documents(batch, st, hasher))  # drops nearby repeats too
                write_docs(f, batch, with_raw=False, header=not parts[:-1])
        arrays = corpus.concat_signed(parts or [corpus.sign_documents([], st, hasher)])
        corpus.sort_bands(arrays)
        del parts
        n_docs, n_paras = len(arrays["doc_ids"]), len(arrays["para_doc"])
        ShardIndex(self.stage_path(ext="")[:-1]).save(arrays, entries, base)
        self.seal([], entries)
        _progress(f"sign    shard {self.shard + 1}/{self.n_shards}: {n_docs} documents, "
                  f"{n_paras} paragraphs in {time.perf_counter() - t0:.2f} s, peak RSS {_peak_mb()} MB")


SIGN_BATCH = 500  # documents signed at a time


class _CorpusTask(_Recorded):
    input_dir = luigi.Parameter()
    output_dir = luigi.Parameter()
    fingerprint = luigi.Parameter()
    plan = luigi.Parameter(significant=False)
    against = luigi.Parameter(default="", significant=False)  # its state is in the fingerprint

    @property
    def shards(self) -> list[dict[str, Any]]:
        return shard_args_from_plan(self.plan)

    def signs(self):
        return [SignShard(**s) for s in self.shards]

    def sign_files(self) -> list[dict[str, Any]]:
        """This run's shards and an earlier run's index, as {shard, sigs, doc_bands, para_bands}."""
        own = [{"shard": s["shard"], **t.files()} for s, t in zip(self.shards, self.signs())]
        return own + prior_index(self.against)


class NearDuplicates(_CorpusTask):
    """LSH bands over the whole corpus (items whose band hashes collide are candidates), then
    confirm the candidates, cluster them, and write one decision file per shard.

    The bands are computed here, on threads (numpy lets go of the GIL), not as tasks of their
    own: a band takes a few milliseconds on the 19.7k corpus, less than the fork, exit and
    scheduling of a task (18 band tasks cost 0.2-0.3 s of wall; here 0.1 s of CPU)."""

    def requires(self):
        return {"signs": self.signs()}

    def record_path(self) -> str:
        return os.path.join(self.output_dir, STAGES, "dedup", f"decisions-{self.fingerprint}.rec")

    def decisions_path(self, shard: int) -> str:
        """Shard ``shard``'s decisions (each EmitShard reads only its own)."""
        return os.path.join(self.output_dir, STAGES, "dedup", f"decisions-{self.fingerprint}", f"{shard:05d}.json")

    def run(self):
        import numpy as np

        from .dedup import corpus

        t0 = time.perf_counter()
        st = dedup_settings()
        # Distinct candidate pairs, merged band by band: the same pair found in several bands is
        # kept once, and memory never holds all bands' pairs at the same time. Pairs are packed
        # into one integer each (items numbered compactly), so merging is a plain integer sort.
        sign_files = self.sign_files()
        files = {f["shard"]: f for f in sign_files}
        uniq = {f"{kind}_pairs": corpus.candidate_pairs([(f["shard"], f[f"{kind}_bands"], f[f"{kind}_band_rows"])
                                                         for f in sign_files], st.bands)
                for kind in ("doc", "para")}
        # Of each shard's small arrays (ids, dates, offsets, flags), only the rows candidate pairs
        # touch (and the documents of those paragraphs) are kept; signatures stay in their files
        # and are read a batch of pairs at a time. Memory follows the candidates, not the corpus.
        need_docs = corpus.rows_by_shard(uniq["doc_pairs"])
        need_paras = corpus.rows_by_shard(uniq["para_pairs"])
        shards, sig_paths = {}, {}
        for k, f in files.items():
            paras_k = need_paras.get(k, np.zeros(0, np.int64))
            with np.load(f["sigs"]) as z:
                docs_k = np.union1d(need_docs.get(k, np.zeros(0, np.int64)), z["para_doc"][paras_k].astype(np.int64))
                shards[k] = {key: z[key][docs_k if key.startswith("doc_") else paras_k] for key in z.files}
            shards[k]["_doc_rows"], shards[k]["_para_rows"] = docs_k, paras_k
            if "run" in f:
                shards[k]["run"] = f["run"]
            sig_paths[k] = {"doc_sig": f["doc_sig"], "para_sig": f["para_sig"]}
        decisions = corpus.decide(shards, uniq["doc_pairs"], uniq["para_pairs"], st, corpus.SignatureFiles(sig_paths))
        # One file per shard, so each EmitShard reads only its own decisions; the stamp last.
        written = []
        for shard in range(len(self.shards)):  # every shard gets a file, with decisions or none
            written.append(self.decisions_path(shard))
            write_atomic(written[-1], json.dumps(decisions.get(shard, {}), ensure_ascii=False, sort_keys=True))
        n_docs = sum(1 for per in decisions.values() for d in per.values() if "duplicate_of" in d)
        n_paras = sum(len(d.get("paragraphs", [])) for per in decisions.values() for d in per.values())
        self.seal(written, extra={"shards": len(decisions), "duplicate_documents": n_docs, "paragraphs": n_paras})
        _progress(f"dedup   corpus: {n_docs} duplicate documents, {n_paras} repeated paragraphs "
                  f"({st.bands} bands x {st.rows} rows; {len(uniq['doc_pairs'])} document and "
                  f"{len(uniq['para_pairs'])} paragraph candidate pairs) in {time.perf_counter() - t0:.2f} s, "
                  f"peak RSS {_peak_mb()} MB")


class EmitShard(_ShardTask):
    """Final edits, clean texts, this shard's manifest and clean.jsonl lines, and its share of
    the totals and the report (so the corpus step never reads the manifest back).

    Keyed by the corpus-wide dedup fingerprint too: a shard's decisions depend on every
    shard's documents, so a change anywhere emits every shard again (emit is the cheapest
    stage). Per-document files go to this task's own folder; the publish links them into the
    new generation, and the record lists each with its length and hash."""

    stage = "emit"
    dedup_fingerprint = luigi.Parameter()
    against = luigi.Parameter(default="", significant=False)

    def key(self) -> str:
        return f"{self.shard:05d}-{self.fingerprint}-{self.dedup_fingerprint}"

    def files(self) -> dict[str, str]:
        return {"manifest": self.stage_path(ext="manifest.jsonl"), "clean": self.stage_path(ext="clean.jsonl"),
                "stats": self.stage_path(ext="stats.json"), "tree": self.stage_path(ext="files")}

    def requires(self):
        return {
            "docs": SignShard(**self.shard_args()),
            "raw": RepairShard(**self.shard_args()),
            "dedup": NearDuplicates(
                input_dir=self.input_dir, output_dir=self.output_dir,
                fingerprint=self.dedup_fingerprint, plan=self.plan, against=self.against,
            ),
        }

    def run(self):
        from . import chain
        from .dedup import corpus

        t0 = time.perf_counter()
        c = cleaning()
        req = self.requires()
        with open(req["dedup"].decisions_path(self.shard), "rb") as f:
            blob = f.read()
        digest_of_decisions = hashlib.sha256(blob).hexdigest()[:16]
        out = self.files()
        base = os.path.dirname(self.record_path())
        tree = out["tree"]
        shutil.rmtree(tree, ignore_errors=True)  # what a stopped run of this task left
        if self._adopt(digest_of_decisions):
            _progress(f"emit    shard {self.shard + 1}/{self.n_shards}: unchanged, taken over from the last run")
            return
        decisions = loads(blob)
        clean_dir = os.path.join(tree, "clean")
        extracted_dir = os.path.join(tree, "extracted")
        os.makedirs(clean_dir)
        os.makedirs(extracted_dir)
        totals, stats, kept = Totals(), ReportStats(), array.array("Q")
        entries: dict[str, list] = {}
        n = 0
        # Streamed to the part files (memory: one document). The record, written last, is
        # what marks the shard done; until then nothing here is trusted or published.
        with hashed_open(out["manifest"], entries, base) as manifest, hashed_open(out["clean"], entries, base) as cleaned:
            for doc in read_docs(req["docs"].files()["docs"], raw_from=req["raw"].files()["docs"]):
                corpus.apply_decision(doc, decisions.get(doc.id), c.dedup_action)
                clean = chain.finish_text(doc, repeat_window=0)  # repeats went in SignShard; None: rejected
                doc.unfold_crlf()  # the raw text and the edits as read: CRs back, each its own edit
                raw_path = digest = None
                if clean is not None:
                    data = clean.encode("utf-8")  # once, for the file and its digests
                    digest = hashlib.sha256(data).hexdigest()  # the manifest's clean_sha256
                    # In place: this folder is private to this task until its record exists.
                    path = safe_child(clean_dir, doc.id, ".txt")
                    entries[_under(path, base)] = _entry(path, write_in_place(path, data), len(data),
                                                         content_hash(data).hexdigest())
                    if doc.info.get("input") == "html" or doc.encoding != "utf-8":  # raw is not the file as is
                        raw_path = f"extracted/{doc.id}.txt"
                        raw = doc.raw.encode("utf-8")
                        path = safe_child(extracted_dir, doc.id, ".txt")
                        entries[_under(path, base)] = _entry(path, write_in_place(path, raw), len(raw),
                                                             content_hash(raw).hexdigest())
                    kept.append(id_hash(doc.id))
                rec = manifest_record(doc, clean, raw_path, digest)
                manifest.write(dumps_bytes(rec) + b"\n")
                if doc.status == "ok":
                    cleaned.write(dumps_bytes(clean_record(doc, clean)) + b"\n")
                totals.add(rec)
                stats.add(rec)
                n += 1
        with hashed_open(out["stats"], entries, base) as f:
            f.write(dumps_bytes({"tally": totals.as_dict(), "report": stats.to_json(), "kept": kept.tolist()}))
        self.seal([], entries, extra={"decisions": digest_of_decisions})
        _progress(f"emit    shard {self.shard + 1}/{self.n_shards}: {n} documents in {time.perf_counter() - t0:.2f} s, "
                  f"peak RSS {_peak_mb()} MB")


    def _adopt(self, digest_of_decisions: str) -> bool:
        """Take over an earlier run's emit of this shard when its documents (the shard's
        fingerprint) and its decisions (their digest) are the same: the output would be the
        same bytes. Its files are renamed to this task's names (one rename for the folder of
        per-document files) and verified first; a changed decision means a full emit."""
        base = os.path.dirname(self.record_path())
        own = f"{self.shard:05d}-{self.fingerprint}-"
        for rec_path in sorted(Path(base).glob(f"{own}*.rec")):
            old_key = rec_path.name[: -len(".rec")]
            if rec_path.name == os.path.basename(self.record_path()):
                continue
            rec = read_record(str(rec_path))
            if rec is None or rec.get("decisions") != digest_of_decisions or not verify_record(str(rec_path), base):
                continue
            new_key = self.key()
            entries = {}
            for name, e in rec["files"].items():
                entries[new_key + name[len(old_key):]] = e
            os.rename(os.path.join(base, f"{old_key}.files"), os.path.join(base, f"{new_key}.files"))
            for part in ("manifest.jsonl", "clean.jsonl", "stats.json"):
                src, dst = os.path.join(base, f"{old_key}.{part}"), os.path.join(base, f"{new_key}.{part}")
                os.replace(src, dst)
                st = os.stat(dst)  # a rename moves the ctime: the length and hash were just verified
                entries[f"{new_key}.{part}"] = [st.st_size, rec["files"][f"{old_key}.{part}"][1], st.st_mtime_ns,
                                                st.st_ctime_ns, st.st_ino]
            rec_path.unlink()
            self.seal([], entries, extra={"decisions": digest_of_decisions})
            return True
        return False


def _under(path: str, base: str) -> str:
    """``os.path.relpath`` for a path made under ``base`` (a string cut: relpath normalises
    both paths, 15 µs a file on 19.7k files)."""
    prefix = base.rstrip(os.sep) + os.sep
    return path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, base)


def _entry(path: str, st: os.stat_result, size: int, digest: str) -> list:
    if st.st_size != size:
        raise OSError(f"{path}: wrote {size} bytes, found {st.st_size}")
    return [size, digest, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class CleanAll(luigi.Task):
    """Clean every document under --input-dir into --output-dir (see README: Outputs).

    Constructing it checks the arguments and folders, takes the output folder's lock and
    lists the inputs, before Luigi schedules anything: a refusal is one sentence and exit 2."""

    input_dir = luigi.Parameter(default="seeds", description="folder of raw documents (.txt, .html, ...)")
    output_dir = luigi.Parameter(default="work", description="folder for clean/, clean.jsonl, manifest.jsonl")
    shard_size = luigi.IntParameter(default=0, description="documents per shard task; 0: automatic "
                                    "(one shard per worker, from 5,000 to 10,000 documents, balanced by size)")
    against = luigi.Parameter(default="", description="an earlier run's output dir: deduplicate against its index/")
    allow_empty = luigi.BoolParameter(default=False, description="let an empty input folder replace earlier outputs")
    wait_for_lock = luigi.BoolParameter(default=False, significant=False,
                                        description="wait for another run on the same output folder to end, instead of stopping")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            self.prepare()
        except guard.Refused as e:
            guard.stop(str(e), e.status)
        except OSError as e:
            guard.stop(guard.environment_sentence(e), 1)

    def prepare(self) -> None:
        """Everything that can refuse the run, in the order a user would want to hear it."""
        import luigi.configuration
        import luigi.interface

        central = not luigi.configuration.get_config().getboolean("core", "local_scheduler", False)
        guard.check_arguments(luigi.interface.core().workers, self.shard_size)
        _read_settings()  # the rest of check_settings runs beside the listing (see _plan)
        guard.check_folders(str(self.input_dir), str(self.output_dir), str(self.against))
        guard.check_writable(str(self.output_dir))
        guard.quiet_expected_failures()
        if not central:  # with luigid, many workers share one output folder by design
            guard.acquire_lock(str(self.output_dir), wait=self.wait_for_lock)
            guard.stop_on_signals(str(self.output_dir))
        _, _, n_inputs, _ = self._plan()
        manifest = os.path.join(str(self.output_dir), "manifest.jsonl")
        earlier = os.path.isfile(manifest) and os.path.getsize(manifest) > 0  # this layout's or an older one's
        if n_inputs == 0 and not self.allow_empty and earlier:
            raise guard.Refused(f"the input folder {self.input_dir} holds no documents, and the run would empty the "
                                f"outputs in {self.output_dir}; pass --allow-empty to do that")

    def _plan(self):
        if getattr(self, "_plan_cache", None) is None:
            import luigi.interface

            settings = settings_digest()
            try:
                prior = prior_fingerprint(str(self.against)) if self.against else ""
            except FileNotFoundError as e:
                raise guard.Refused(str(e)) from None
            def meanwhile():  # a refusal here stops the listing
                check_settings()
                _warm()

            plan_path, fingerprints, n_inputs, passed_over = in_child(
                write_plan, str(self.input_dir), str(self.output_dir), self.shard_size, settings, prior,
                luigi.interface.core().workers, meanwhile=meanwhile)
            args = [{"input_dir": str(self.input_dir), "output_dir": str(self.output_dir), "shard": k,
                     "n_shards": len(fingerprints), "fingerprint": fp, "plan": plan_path}
                    for k, fp in enumerate(fingerprints)]
            run_fp = os.path.splitext(os.path.basename(plan_path))[0]
            self._plan_cache = (args, run_fp, n_inputs, passed_over)
        return self._plan_cache

    def requires(self):
        shards, run_fp, _, _ = self._plan()
        # The signatures too: the published index/ links their files, so a damaged one must
        # be found (Luigi checks no further than a complete task's own output).
        return {"emit": [EmitShard(**s, dedup_fingerprint=run_fp, against=str(self.against)) for s in shards],
                "sign": [SignShard(**s) for s in shards]}

    def output(self):
        _, run_fp, _, _ = self._plan()
        return luigi.LocalTarget(os.path.join(self.output_dir, STAGES, "runs", f"{run_fp}.json"), format=luigi.format.UTF8)

    def complete(self):
        """Done when the published generation is this run's and every file of it is as written."""
        _, run_fp, _, _ = self._plan()
        return self.output().exists() and publish.is_published(self.output_dir, run_fp)

    @guard.sentences_for_errors
    def run(self):
        from .merge import merge_run

        t0 = time.perf_counter()
        shards, run_fp, n_inputs, passed_over = self._plan()
        out = Path(self.output_dir)
        req = self.requires()
        summary = merge_run(out, run_fp, [(t.files(), t.record_path()) for t in req["emit"]],
                            [(t.files(), t.record_path()) for t in req["sign"]], passed_over,
                            {s["fingerprint"] for s in shards} | {run_fp}, out / STAGES,
                            dataset_format=cleaning().dataset_format,
                            report_run={"input_dir": str(self.input_dir), "settings": settings_digest()})
        with self.output().open("w") as f:
            f.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        _progress(f"merge   corpus: {summary['documents']} documents in {time.perf_counter() - t0:.2f} s, peak RSS {_peak_mb()} MB")
        print(format_summary(summary, self.output_dir), flush=True)



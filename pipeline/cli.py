"""The ``pipeline`` command: run the cleaning, and look at what it did.

    pipeline run   [every CleanAll option: --input-dir, --output-dir, --shard-size, --against] [--workers 2]
    pipeline diff  NAME [--output-dir work] [--reason caption] [--whitespace] [--against-kept]
    pipeline stats [--output-dir work]
    pipeline clean FILE|- [--explain]
    pipeline --version

What the user can fix (a missing file, an unknown reason) is one sentence on stderr and exit
status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

from .provenance import raw_from_clean, tally


class UserError(Exception):
    """Something the user can fix: printed as one sentence, no traceback, exit status 2."""


def _n(count: int, noun: str) -> str:
    """``1 document``, ``2 documents``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _load_manifest(output_dir: str):
    path = Path(output_dir) / "manifest.jsonl"
    if not path.exists():
        raise UserError(f"no manifest at {path}. Run the cleaning first: pipeline run --output-dir {output_dir}")
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def use_color(choice: str, stream) -> bool:
    """``--color always|never``, or on a terminal unless NO_COLOR is set or TERM is dumb."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def _color(enabled: bool):
    def paint(code: str, s: str) -> str:
        return f"\x1b[{code}m{s}\x1b[0m" if enabled else s

    return paint


def _find(output_dir: str, name: str):
    rec = next((r for r in _load_manifest(output_dir) if r["id"] == name), None)
    if rec is None:
        ids = [r["id"] for r in _load_manifest(output_dir)]
        close = difflib.get_close_matches(name, ids, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else f" ({_n(len(ids), 'document')}; `pipeline stats` lists totals.)"
        raise UserError(f"no document {name!r} in {output_dir}/manifest.jsonl.{hint}")
    return rec


def _clean_text(output_dir: str, doc_id: str) -> str:
    path = Path(output_dir) / "clean" / f"{doc_id}.txt"
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"{path} is missing: run the cleaning again into {output_dir}") from None


def _shown(doc_id: str) -> str:
    """An id as one line: a file name may hold a line break or another control character."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in doc_id)


def cmd_diff(args) -> int:
    from .linediff import align, hunks, inline, known_reasons, show_inline, visible

    if args.reason and args.reason not in (known := known_reasons()):
        raise UserError(f"unknown reason {args.reason!r}; the reasons are: {', '.join(sorted(known))}")
    rec = _find(args.output_dir, args.name)
    if rec["status"] == "rejected":
        print(f"{_shown(rec['id'])}: rejected: {rec['error']}")
        return 0
    paint = _color(use_color(args.color, sys.stdout))
    dup = rec.get("duplicate_of") if rec["status"] == "duplicate" else None
    if args.against_kept:
        if not dup:
            raise UserError(f"{rec['id']} is not a duplicate (status {rec['status']}): --against-kept needs one")
        return _diff_against_kept(args, rec, dup, paint)
    clean = _clean_text(args.output_dir, rec["id"])
    raw = raw_from_clean(rec["edits"], clean)
    show = visible if args.whitespace else (lambda s: s.rstrip("\r"))

    status = f"status {rec['status']}"
    if dup:
        status = (f"duplicate of {_shown(dup['id'])}" + (f" in {dup['run']}" if dup.get("run") else "")
                  + (f", similarity {rec['similarity']}" if rec.get("similarity") is not None else "")
                  + "; --against-kept diffs the two")
    print(paint("1", f"--- raw/{_shown(rec['id'])}  ({_shown(rec['source'])}, {rec['encoding']})"))
    print(paint("1", f"+++ clean/{_shown(rec['id'])}.txt  ({status})"))
    found = hunks(align(raw, rec["edits"]), args.context, args.reason, args.whitespace)
    for h in found:
        print(paint("36", f"@@ raw lines {h.lines[0].number}-{h.lines[-1].number} @@"))
        for ln in h.lines:
            kind = ln.kind
            if kind == "same" or not args.whitespace and kind in ("space", "blank"):
                print(" " + show(ln.raw))
                continue
            tags = ln.tags(args.whitespace) or ln.tags(True)  # text gone under a white-space edit: say so
            if kind == "changed" and show_inline(ln):  # a long line: its cuts in place, once
                print(paint("33", "~") + inline(ln, paint, args.whitespace, show=show)
                      + (paint("2", "    # " + ", ".join(tags)) if tags else ""))
                continue
            print(paint("31", "-" + show(ln.raw)) + (paint("2", "    # " + ", ".join(tags)) if tags else ""))
            if kind in ("changed", "space") or kind == "blank" and ln.nl_kept:
                print(paint("32", "+" + show(ln.became)))
    if not found:
        what = f"with reason {args.reason}" if args.reason else "other than white space (--whitespace shows those)"
        if args.whitespace and not args.reason:
            what = "at all"
        print(f"(no lines changed {what})")
    return 0


def _diff_against_kept(args, rec, dup, paint) -> int:
    folder = dup.get("run") or args.output_dir
    kept = _clean_text(folder, dup["id"]).split("\n")
    mine = _clean_text(args.output_dir, rec["id"]).split("\n")
    print(paint("1", f"--- kept/{_shown(dup['id'])}  ({folder}/clean/{_shown(dup['id'])}.txt)"))
    how = (f"similarity {rec['similarity']}" if rec.get("similarity") is not None
           else "each of its lines repeats other documents")
    print(paint("1", f"+++ duplicate/{_shown(rec['id'])}  ({how})"))
    groups = list(difflib.SequenceMatcher(None, kept, mine, autojunk=False).get_grouped_opcodes(args.context))
    if not groups:
        print("(the two clean texts are identical)")
    for group in groups:
        print(paint("36", f"@@ kept line {group[0][1] + 1}, duplicate line {group[0][3] + 1} @@"))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                for line in kept[i1:i2]:
                    print(" " + line)
                continue
            for line in kept[i1:i2]:
                print(paint("31", "-" + line))
            for line in mine[j1:j2]:
                print(paint("32", "+" + line))
    return 0


def cmd_stats(args) -> int:
    s = tally(_load_manifest(args.output_dir))
    from .summary import format_summary

    print(format_summary(s, args.output_dir).strip())
    if s["chars_removed"]:
        print("Characters removed by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(s["chars_removed"].items())))
    return 0


def _cleanall_options():
    """CleanAll's parameters as (option, parameter): ``pipeline run`` offers every one of them,
    so it can do whatever ``luigi --module pipeline CleanAll`` does."""
    from .tasks import CleanAll

    return [(name.replace("_", "-"), param) for name, param in CleanAll.get_params()]


def cmd_run(args) -> int:
    import luigi
    import luigi.configuration

    from .tasks import CleanAll

    # Options not given stay unset: luigi.cfg and CleanAll's defaults decide, as for `luigi`.
    kwargs = {name.replace("-", "_"): getattr(args, name.replace("-", "_")) for name, _ in _cleanall_options()}
    # The worker count where CleanAll reads it (`[core] workers`, as `luigi --workers` sets
    # it): the automatic shard size follows it, CleanAll checks it (guard.check_arguments),
    # and the plan is made with the task.
    config = luigi.configuration.get_config()
    if not config.has_section("core"):
        config.add_section("core")
    config.set("core", "workers", str(args.workers))
    # CleanAll checks the folders, takes the output folder's lock and lists the inputs when
    # it is made; a refusal is one sentence and SystemExit(2).
    task = CleanAll(**{k: v for k, v in kwargs.items() if v is not None})
    if not os.path.isdir(task.input_dir):
        raise UserError(f"the input folder {task.input_dir} does not exist (in {os.getcwd()}); give one with --input-dir")
    if task.against and not os.path.isdir(task.against):
        raise UserError(f"--against {task.against}: no such folder")
    result = luigi.build([task], workers=args.workers, local_scheduler=True, detailed_summary=True)
    return 0 if result.scheduling_succeeded and result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY") else 1


def _read_input(name: str, max_bytes: int) -> tuple[str, bytes]:
    """The bytes of FILE, or of standard input for ``-``, with a sentence for what is not a file;
    NotText when they are over the run's limit (read no further than it, as the run reads)."""
    from .readers import check_limit, read_limited

    if name == "-":
        return "stdin", check_limit(sys.stdin.buffer.read(max_bytes + 1), max_bytes)
    path = Path(name)
    if path.is_dir():
        raise UserError(f"{name} is a folder; `pipeline clean` takes one file (for a folder: pipeline run --input-dir {name})")
    try:
        return path.stem, read_limited(path, max_bytes)
    except FileNotFoundError:
        raise UserError(f"no such file: {name}") from None
    except PermissionError:
        raise UserError(f"{name} cannot be read (permission denied)") from None


def cmd_clean(args) -> int:
    from .chain import clean_document
    from .encoding import NotText
    from .readers import gunzip_limited, looks_like_html, read_bytes_document

    c = _clean_settings(args)
    try:  # the run's limits ([cleaning] max_bytes): a file it would reject is rejected here too
        doc_id, data = _read_input(args.file, c.max_bytes)
        if args.file.lower().endswith(".gz"):
            data = gunzip_limited(data, c.max_bytes)  # as a run unpacks it, with its limit
    except NotText as e:
        print(f"pipeline: rejected: {e}", file=sys.stderr)
        return 1
    source = args.file if args.file != "-" else "stdin.txt"
    kind = "html" if looks_like_html(args.file, data) else "text"
    doc = clean_document(read_bytes_document(doc_id, data, source, kind), c.rule_pack, c.line_model or None,
                         c.disabled(), c.repeat_threshold, c.repeat_window)
    if doc.status == "rejected":
        print(f"pipeline: rejected: {doc.error}", file=sys.stderr)
        return 1
    sys.stdout.write(doc.text)
    if args.explain:
        why = _model_reasons(doc_id, data, source, c.rule_pack, c.line_model or None) if any(
            e.rule == "line_model" for e in doc.edits) else {}
        for e in doc.edits:
            label = "p" if e.rule == "line_model" else "score"  # caption_words records log-odds
            score = f" {label}={e.extra['score']}" if e.extra and "score" in e.extra else ""
            print(f"# {e.reason} ({e.rule}{score}) [{e.start}:{e.end}] {e.text[:80]!r} -> {e.replacement[:40]!r}",
                  file=sys.stderr)
            for text, feats in why.items():
                if e.rule == "line_model" and text and text in e.text:
                    print("#     weighed most: " + ", ".join(f"{n}={v:g} ({c:+.2f})" for n, v, c in feats), file=sys.stderr)
                    break
    return 0


def _clean_settings(args):
    """The ``[cleaning]`` settings a run started in this folder would use (luigi.cfg here,
    ``LUIGI_CONFIG_PATH``, the package's defaults), with ``--pack`` and ``--line-model`` over
    them, checked as a run checks them: what ``pipeline clean`` prints is what the run would
    write for this file, the corpus-wide steps aside."""
    from . import guard
    from .tasks import _read_settings, check_settings

    overrides = {k: v for k, v in (("rule_pack", args.pack), ("line_model", args.line_model)) if v is not None}
    try:
        c = _read_settings(**overrides)
        check_settings(c)
    except guard.Refused as e:
        sentence = str(e)
        for key, flag in (("rule_pack", "--pack"), ("line_model", "--line-model")):
            if key in overrides:  # the value came from the command line, not from luigi.cfg
                sentence = sentence.replace(f"[cleaning] {key} = ", f"{flag} ")
        raise UserError(sentence) from None
    return c


def _model_reasons(doc_id, data, source, rule_pack, line_model):
    """The features that weighed most in each line model decision (the chain run again up to
    the rules, on the repaired text the model saw)."""
    from .boilerplate import line_model_for
    from .chain import repair_document
    from .language import AUTO, detect, pack_for
    from .readers import read_bytes_document
    from .rules.engine import analyse, load_pack

    from .readers import looks_like_html

    doc = repair_document(read_bytes_document(doc_id, data, source, "html" if looks_like_html(source, data) else "text"))
    pack = load_pack(pack_for(detect(doc.text)[0]) if rule_pack == AUTO else rule_pack)  # as clean_document picks it
    model = line_model_for(pack, line_model)
    return model.explain(analyse(doc.text, pack), pack) if model is not None else {}


def cmd_train(args) -> int:
    from .learn.linemodel import MODEL_DIR
    from .learn.train import build

    out = Path(args.out) if args.out else MODEL_DIR / "vi_lines.json"
    if not Path(args.shared).is_dir():
        raise UserError(f"--shared {args.shared}: no such folder (it holds the labelled sets gold/, dev/, train/, "
                        "train-flat/ beside the project; training/ in the repository is used too)")
    try:
        m = build(Path(args.shared), out, args.pack, args.target_precision)
    except FileNotFoundError as e:
        print(f"pipeline: {e}", file=sys.stderr)
        return 2
    print(f"Wrote {out}: {m.meta['documents']} documents, {m.meta['lines']} candidate lines "
          f"({m.meta['furniture_lines']} furniture); threshold {m.threshold}, veto below {m.veto}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipeline",
        description="Clean a news corpus (captions, related-news blocks, widgets, bylines, mojibake, "
        "near-duplicates) and record every change with its reason in a manifest.",
        epilog="The same run as a Luigi command: luigi --module pipeline CleanAll [--input-dir D] [--output-dir D]",
    )
    from . import __version__

    p.add_argument("--version", action="version", version=f"pipeline {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="clean every document under --input-dir",
                       description="Run CleanAll (the whole cleaning) with the local scheduler; the same as "
                       "`luigi --module pipeline CleanAll`, with the same options. Options left out come from a "
                       "luigi.cfg in the working folder, else the defaults (seeds/ into work/).")
    import luigi

    for name, param in _cleanall_options():
        if isinstance(param, luigi.BoolParameter):  # a flag, as on luigi's command line
            r.add_argument(f"--{name}", action="store_const", const=True, default=None,
                           help=f"{param.description or name} (default: off)")
            continue
        r.add_argument(f"--{name}", type=param.parse, default=None,
                       help=f"{param.description or name} (default: {param._default if param._default not in (None, '') else 'none'})")
    r.add_argument("--workers", type=int, default=1, help="parallel Luigi workers (default: 1)")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("diff", help="raw against clean for one document, each removal tagged with its reason",
                       description="Unified diff of one document's raw text against its clean text. "
                       "Each removed line is tagged with the reason and rule from the manifest.")
    d.add_argument("name", help="document id (its path under the input dir, without extension)")
    d.add_argument("--output-dir", default="work", help="the run's output folder (default: work)")
    d.add_argument("--reason", help="show only the changes with this reason (caption, related_news, ...)")
    d.add_argument("--whitespace", action="store_true",
                   help="also show white-space-only changes (a CRLF file's \\r, folded blank lines), with invisible characters marked")
    d.add_argument("--against-kept", action="store_true", help="for a duplicate: diff the kept copy's clean text against this one's")
    d.add_argument("--context", type=int, default=2, help="lines of context around each change (default: 2)")
    d.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="colour output (default: auto: on a terminal, unless NO_COLOR is set or TERM=dumb)")
    d.set_defaults(func=cmd_diff)

    s = sub.add_parser("stats", help="corpus totals per reason from the manifest",
                       description="Print a finished run's totals (documents per status, lines and characters "
                       "removed per reason), read back from its manifest.")
    s.add_argument("--output-dir", default="work", help="the run's output folder (default: work)")
    s.set_defaults(func=cmd_stats)

    c = sub.add_parser("clean", help="clean one file and print the result (no manifest, no dedup across files)",
                       description="Clean one file (or standard input, given as -) in memory and print the clean text "
                       "on stdout: repair, the rule pack, nearby repeated lines, with the [cleaning] settings a run "
                       "started in this folder would use (luigi.cfg, LUIGI_CONFIG_PATH). Nothing is written, and "
                       "nothing is compared with other documents.")
    c.add_argument("file", help="a text or HTML file, or - for standard input")
    c.add_argument("--explain", action="store_true", help="also print each edit on stderr (for the line model's: "
                   "its probability and the features that weighed most)")
    c.add_argument("--pack", help="rule pack instead of [cleaning] rule_pack: vi, en, base, auto (by language) or a "
                   ".toml path, e.g. a pack you are writing")
    c.add_argument("--line-model", help="line model instead of [cleaning] line_model (default: the pack's): a name "
                   "or a .json path; none: rules alone")
    c.set_defaults(func=cmd_clean)

    t = sub.add_parser("train", help="rebuild the line model from labelled documents",
                       description="Train the line model on labelled documents (NAME.txt beside NAME.labels.jsonl) "
                       "and write it as JSON. Deterministic: the same sets give the same bytes. Held-out "
                       "quality: python bench/cv_lines.py.")
    t.add_argument("--shared", default="../shared", help="folder holding gold/, dev/, train/, train-flat/ (default: ../shared)")
    t.add_argument("--out", help="model file to write (default: the package's models/vi_lines.json)")
    t.add_argument("--pack", default="vi", help="rule pack whose rules run first (default: vi)")
    t.add_argument("--target-precision", type=float, default=0.99, help="held-out precision the thresholds must reach (default: 0.99)")
    t.set_defaults(func=cmd_train)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(f"pipeline: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())

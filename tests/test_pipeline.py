"""The real command, end to end: the output contract a downstream tool relies on."""
import json
import os
import shutil

import pytest

from conftest import run_cleanall
from pipeline.documents import Edit, check_invariant
from pipeline.encoding import decode
from pipeline.provenance import raw_from_clean, sha256_text
from pipeline.writers import safe_child, write_atomic, write_in_place


@pytest.fixture
def corpus(tmp_path, fixtures):
    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    return src


def _manifest(out):
    return [json.loads(l) for l in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def test_cleanall_fulfils_the_output_contract(corpus, tmp_path):
    out = tmp_path / "out"
    r = run_cleanall(corpus, out)
    assert "Cleaned 5 documents" in r.stdout and "caption" in r.stdout
    recs = _manifest(out)
    assert [x["id"] for x in recs] == sorted(p.stem for p in corpus.glob("*.txt"))
    for rec in recs:
        data = (corpus / rec["source"]).read_bytes()
        raw = decode(data).text
        clean = (out / "clean" / f"{rec['id']}.txt").read_text(encoding="utf-8")
        edits = [Edit.from_json(e) for e in rec["edits"]]
        check_invariant(raw, edits, clean)  # sorted, disjoint, text == raw[start:end], rebuilds clean
        assert raw_from_clean(rec["edits"], clean) == raw  # what `pipeline diff` does with a record
        assert rec["clean_chars"] == len(clean)
        assert rec["clean_sha256"] == sha256_text(clean)
        assert rec["status"] == "ok" and rec["encoding"] == "utf-8"
        assert clean.endswith("\n") and not clean.endswith("\n\n") and "\n\n\n" not in clean
        assert all(e["reason"] and e["rule"] for e in rec["edits"])
    jl = [json.loads(l) for l in (out / "clean.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [j["id"] for j in jl] == [x["id"] for x in recs]
    assert all(set(j) == {"id", "text", "metadata"} for j in jl)
    assert recs[3]["metadata"]["title"].startswith("Lạng Sơn")


def test_rerun_does_nothing_and_a_changed_input_reruns_its_shard(corpus, tmp_path):
    out = tmp_path / "out"
    run_cleanall(corpus, out, "--shard-size", "2")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    r = run_cleanall(corpus, out, "--shard-size", "2")
    assert "[pipeline]" not in r.stderr and r.stdout.strip() == ""
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}

    victim = sorted(corpus.glob("*.txt"))[4]  # the last shard's only document
    victim.write_text(victim.read_text(encoding="utf-8") + "\nTheo TTXVN\n", encoding="utf-8")
    repaired = {p.name for p in (out / "_stages" / "repair").glob("*.rec")}
    run_cleanall(corpus, out, "--shard-size", "2")
    # Which shards were read again, from the stage records (not from the progress lines' wording):
    new = {p.name for p in (out / "_stages" / "repair").glob("*.rec")} - repaired
    assert [n.split("-")[0] for n in new] == ["00002"]
    rec = [x for x in _manifest(out) if x["id"] == victim.stem][0]
    assert any(e["reason"] == "source_line" for e in rec["edits"])


def test_bad_inputs_are_rejected_and_the_run_goes_on(corpus, tmp_path):
    (corpus / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.txt").write_text("  \n\n \t\n")
    (corpus / "sub dir").mkdir()
    (corpus / "sub dir" / "bài viết.txt").write_text("Tiêu đề\n\nNội dung bài viết có dấu.\n", encoding="utf-8")
    out = tmp_path / "out"
    run_cleanall(corpus, out)
    recs = {x["id"]: x for x in _manifest(out)}
    assert len(recs) == 9
    assert recs["picture.png"]["status"] == "rejected" and "PNG" in recs["picture.png"]["error"]
    assert recs["empty"]["error"] == "the file is empty"
    assert recs["blank"]["status"] == "rejected"
    assert recs["sub dir/bài viết"]["status"] == "ok"
    assert (out / "clean" / "sub dir" / "bài viết.txt").exists()


def test_missing_input_dir_fails_with_nonzero_exit(tmp_path):
    r = run_cleanall(tmp_path / "nope", tmp_path / "out", check=False)
    assert r.returncode != 0


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "a" / "b.txt"
    target.parent.mkdir()

    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError):
        write_atomic(target, "x" * 1000)
    monkeypatch.undo()
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_a_per_document_file_never_writes_through_a_link(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    (tmp_path / "clean").mkdir()
    link = tmp_path / "clean" / "doc.txt"
    link.symlink_to(outside)
    write_in_place(str(link), "sạch".encode())
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "sạch"


@pytest.mark.parametrize("name", ["../escape", "/abs/path", "a/../../b", ""])
def test_output_names_cannot_escape_the_output_dir(tmp_path, name):
    with pytest.raises(ValueError):
        safe_child(tmp_path, name, ".txt")


def test_automatic_shard_size_is_a_shard_per_worker_within_bounds():
    from pipeline.tasks import auto_shard_size

    assert auto_shard_size(19_721, 2) == 9_861  # two workers: two shards
    assert auto_shard_size(19_721, 4) == 5_000 and auto_shard_size(5, 8) == 5_000  # never tiny shards
    assert auto_shard_size(19_721, 1) == 10_000 and auto_shard_size(10_000_000, 2) == 10_000  # a task's memory stays bounded


def test_a_removed_input_loses_its_clean_file_and_nothing_else(corpus, tmp_path):
    out = tmp_path / "out"
    (corpus / "sub").mkdir()
    shutil.copy(sorted(corpus.glob("*.txt"))[0], corpus / "sub" / "nested.txt")
    run_cleanall(corpus, out)
    kept = sorted(p.relative_to(out / "clean").as_posix() for p in (out / "clean").rglob("*.txt"))
    gone = sorted(corpus.glob("*.txt"))[1]
    gone.unlink()
    (corpus / "sub" / "nested.txt").unlink()
    run_cleanall(corpus, out)
    after = sorted(p.relative_to(out / "clean").as_posix() for p in (out / "clean").rglob("*.txt"))
    assert after == [k for k in kept if k not in (gone.name, "sub/nested.txt")]
    assert {r["id"] for r in _manifest(out)} == {k[: -len(".txt")] for k in after}


def test_inputs_stream_in_id_order_with_unique_ids(tmp_path):
    from pipeline.readers import count_inputs, iter_inputs

    names = ["a-b.txt", "a.txt", "a.html", "a.b.txt", "a/x.txt", "a/b/y.htm", "a/b.txt", "a-b/c.md", "a b.txt",
             "Ä.txt", "z/10.txt", "z/2.txt", "README", "README.md", "n.txt.md", "n.txt", ".hidden", ".dir/x.txt"]
    for n in names:
        (tmp_path / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / n).write_text("x", encoding="utf-8")
    tally = {}
    got = list(iter_inputs(tmp_path, tally))
    ids = [i.id for i in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == len(names) - 2
    assert tally["skipped"] == 2 and count_inputs(tmp_path) == len(names) - 2
    by_path = {i.relpath: i.id for i in got}
    assert by_path["a/x.txt"] == "a/x" and by_path["a-b.txt"] == "a-b" and by_path["a b.txt"] == "a b"
    assert by_path["a.txt"] == "a.txt" and by_path["a.html"] == "a.html"  # one stem, two files: names kept
    assert by_path["README"] == "README" and by_path["README.md"] == "README.md"
    assert by_path["n.txt.md"] == "n.txt.md"  # its stem is another file's name


def test_a_damaged_stage_file_is_refused_with_a_clear_error(tmp_path):
    from pipeline.readers import read_bytes_document
    from pipeline.stagefiles import StageFileError, read_docs, write_docs

    path = tmp_path / "00000-x.docs"
    with open(path, "wb") as f:
        write_docs(f, [read_bytes_document("a", "Một dòng.\n".encode())])
    data = bytearray(path.read_bytes())
    head = data.index(b"\n") + 1
    data[head : head + 8] = (1 << 60).to_bytes(8, "little")  # a length no file holds
    path.write_bytes(bytes(data))
    with pytest.raises(StageFileError, match="truncated or damaged"):
        list(read_docs(str(path)))


def test_automatic_shards_weigh_the_same_and_their_bounds_fall_on_round_counts():
    """One shard per worker, so the slower one is the run's: balanced by documents and bytes
    together (flattened bodies and long texts cost the stages differently), bounds on multiples
    of BALANCE_QUANTUM so that a small edit seldom moves one, every input once and in order."""
    from pipeline.planning import BALANCE_QUANTUM, balanced_parts
    from pipeline.readers import InputFile

    # 6,000 small inputs, then 4,000 inputs ten times larger: by count alone the second shard
    # would hold almost all the bytes.
    inputs = [InputFile(f"a{i:05d}", f"a{i:05d}.txt", 1_000, 0) for i in range(6_000)]
    inputs += [InputFile(f"b{i:05d}", f"b{i:05d}.txt", 10_000, 0) for i in range(4_000)]
    parts = balanced_parts(inputs, 2)
    assert [i for p in parts for i in p] == inputs
    weight = [len(p) / len(inputs) + sum(i.size for i in p) / sum(i.size for i in inputs) for p in parts]
    assert abs(weight[0] - weight[1]) < 0.1 and len(parts[0]) % BALANCE_QUANTUM == 0
    edited = inputs[:]
    edited[10] = InputFile("a00010", "a00010.txt", 1_500, 0)  # one file grew a little
    assert [len(p) for p in balanced_parts(edited, 2)] == [len(p) for p in parts]
    assert balanced_parts([], 2) == [] and balanced_parts(inputs[:3], 1) == [inputs[:3]]


def test_report_and_totals_merged_from_shards_equal_one_pass(tmp_path, fixtures, monkeypatch):
    """Each shard gathers its share of the report; merged in any split, the page and the totals
    are what one pass over the manifest gives, also when the corpus outgrows the page's bounds."""
    from pipeline import report
    from pipeline.provenance import merge_tallies, tally

    src = tmp_path / "in"
    src.mkdir()
    for p in list((fixtures / "seeds").glob("*.txt")) + list((fixtures / "dev" / "raw").glob("*.txt")):
        shutil.copy(p, src / p.name)
    out = tmp_path / "out"
    run_cleanall(src, out)
    recs = _manifest(out)
    monkeypatch.setattr(report, "MAX_TABLE_ROWS", 10)
    monkeypatch.setattr(report, "MAX_DETAILS", 6)  # 35 documents: the heaps must drop most
    summary = tally(recs)
    one = report.report_stats(recs)
    page = report.build_report(one, out / "clean", summary)
    table = page.split('id="docs"')[1].split("</table>")[0]
    assert page.count("<details") == 6 and table.count("<tr><td>") == 10
    for size in (1, 2, 7, 34):
        merged = report.ReportStats()
        parts = [recs[i : i + size] for i in range(0, len(recs), size)]
        for part in parts:  # through JSON, as the shards' stats files go
            merged.merge(report.ReportStats.from_json(json.loads(json.dumps(report.report_stats(part).to_json()))))
        assert report.build_report(merged, out / "clean", summary) == page
        assert merge_tallies(tally(p) for p in parts) == summary


def test_an_unreadable_folder_is_reported_and_the_rest_is_cleaned(tmp_path, monkeypatch):
    """A folder the run may not list (permissions, a vanished mount) does not stop the run;
    the summary counts and names it, so nothing is lost silently."""
    from pipeline import readers
    from pipeline.tasks import format_summary

    for n in ("a.txt", "locked/x.txt", "locked/y.txt", "open/z.txt"):
        (tmp_path / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / n).write_text("Một dòng văn bản.\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # as for a folder with mode 000 (tests may run as root, who can read it)
        if os.path.basename(str(path)) == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(readers.os, "scandir", scandir)
    tally = {}
    assert [i.id for i in readers.iter_inputs(tmp_path, tally)] == ["a", "open/z"]
    assert tally["unreadable"] == 1 and tally["unreadable_paths"] == ["locked/"]
    assert readers.count_inputs(tmp_path) == 2
    summary = {"documents": 2, "ok": 2, "duplicate": 0, "rejected": 0, "lines_removed": {}, "edits": {},
               "skipped_entries": 0, "unreadable_folders": 1, "unreadable_paths": ["locked/"]}
    assert "WARNING: could not read 1 folder; its files are not in this run: locked/" in format_summary(summary, "out")
    with pytest.raises(PermissionError, match="input directory cannot be read"):
        list(readers.iter_inputs(tmp_path / "locked"))

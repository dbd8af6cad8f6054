"""The generation's seal: per-document files recorded in parts (one per emit shard), so that
neither the merge nor the next run's check holds a million entries at once, and every file
still checked."""
import os
import shutil

from conftest import run_cleanall

from pipeline import publish
from pipeline.stagefiles import read_record


def _run(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for p in list((fixtures / "seeds").glob("*.txt")) + list((fixtures / "dev" / "raw").glob("*.txt"))[:6]:
        shutil.copy(p, src / p.name)
    (src / "legacy.txt").write_bytes("Tin tức hôm nay về kinh tế và xã hội.\n".encode("utf-16"))  # an extracted/ file
    out = tmp_path / "out"
    run_cleanall(src, out, "--shard-size", "4")
    return src, out


def _run_fp(out):
    return read_record(str(publish.current_generation(out) / publish.RECORD))["run"]


def test_parts_name_every_per_document_file_and_nothing_else_does(fixtures, tmp_path):
    _, out = _run(fixtures, tmp_path)
    gen = publish.current_generation(out)
    rec = read_record(str(gen / publish.RECORD))
    assert not [n for n in rec["files"] if n.startswith(publish.TREES)]
    assert len(rec["parts"]) == 3  # 11 documents, 4 a shard
    named = set()
    for part in rec["parts"]:
        assert part in rec["files"]  # pinned by its digest
        named |= set(read_record(str(gen / part))["files"])
    on_disk = {f"{tree}{p.relative_to(gen / tree).as_posix()}" for tree in publish.TREES
               for p in (gen / tree).rglob("*") if p.is_file()}
    assert named == on_disk and any(n.startswith("extracted/") for n in named)
    assert publish.is_published(out, _run_fp(out))


def test_a_stray_a_missing_or_an_edited_document_file_unpublishes(fixtures, tmp_path):
    _, out = _run(fixtures, tmp_path)
    gen, fp = publish.current_generation(out), _run_fp(out)
    stray = gen / "clean" / "stray.txt"
    stray.write_text("not from any run\n")
    assert not publish.is_published(out, fp)
    stray.unlink()
    assert publish.is_published(out, fp)
    victim = sorted((gen / "clean").glob("*.txt"))[0]
    data = victim.read_bytes()
    st = victim.stat()
    victim.write_bytes(data[:-2] + bytes([data[-2] ^ 1]) + data[-1:])  # same size, times set back
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not publish.is_published(out, fp)
    victim.unlink()
    assert not publish.is_published(out, fp)


def test_an_edited_part_unpublishes_and_the_next_run_restores_every_byte(fixtures, tmp_path):
    src, out = _run(fixtures, tmp_path)
    gen, fp = publish.current_generation(out), _run_fp(out)
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "clean").rglob("*") if p.is_file()}
    part = gen / read_record(str(gen / publish.RECORD))["parts"][0]
    part.write_bytes(part.read_bytes().replace(b'"clean/', b'"clean/x', 1))
    assert not publish.is_published(out, fp)
    run_cleanall(src, out, "--shard-size", "4")
    assert publish.is_published(out, _run_fp(out))
    assert before == {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "clean").rglob("*") if p.is_file()}


def test_a_generation_sealed_whole_is_still_checked(fixtures, tmp_path):
    """A record written before parts (every file in it) is read as before."""
    _, out = _run(fixtures, tmp_path)
    gen, fp = publish.current_generation(out), _run_fp(out)
    for part in read_record(str(gen / publish.RECORD))["parts"]:
        (gen / part).unlink()
    publish.seal(gen, fp)  # no parts: every file in the one record
    rec = read_record(str(gen / publish.RECORD))
    assert "parts" not in rec and any(n.startswith("clean/") for n in rec["files"])
    assert publish.is_published(out, fp)
    sorted((gen / "clean").glob("*.txt"))[0].unlink()
    assert not publish.is_published(out, fp)

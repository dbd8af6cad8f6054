"""dataset/: numbered, compressed shards that corpus tools read as they are, given the folder."""
import gzip
import json
import shutil

import pytest

from conftest import run_cleanall


def _records(folder):
    out = []
    for p in sorted(folder.iterdir()):
        out += [json.loads(l) for l in gzip.decompress(p.read_bytes()).decode("utf-8").splitlines()]
    return out


@pytest.fixture
def run(fixtures, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    shutil.copy(src / "003_1e4782921429b962.txt", src / "zz_copy.txt")  # a duplicate: not in the dataset
    out = tmp_path / "out"
    run_cleanall(src, out, "--shard-size", "2")
    return src, out


def test_shards_are_numbered_and_hold_a_fixed_number_of_documents(tmp_path):
    from pipeline.dataset import publish

    parts = []
    for k, n in enumerate((3, 0, 4)):  # task parts of any size, some empty
        p = tmp_path / f"part{k}.jsonl"
        p.write_bytes(b"".join(b'{"id":"%d-%d","text":"t","metadata":{}}\n' % (k, i) for i in range(n)))
        parts.append(str(p))
    names = publish(parts, tmp_path / "ds", docs_per_shard=3)
    assert names == ["00000.jsonl.gz", "00001.jsonl.gz", "00002.jsonl.gz"]
    assert [len(gzip.decompress((tmp_path / "ds" / n).read_bytes()).splitlines()) for n in names] == [3, 3, 1]


def test_dataset_shards_hold_the_kept_documents_and_nothing_else(run):
    src, out = run
    folder = out / "dataset"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["00000.jsonl.gz"]
    recs = _records(folder)
    clean_jsonl = [json.loads(l) for l in (out / "clean.jsonl").read_text(encoding="utf-8").splitlines()]
    assert recs == clean_jsonl and len(recs) == 5 and "zz_copy" not in {r["id"] for r in recs}
    for r in recs:
        assert set(r) == {"id", "text", "metadata"}
        assert r["text"] == (out / "clean" / f"{r['id']}.txt").read_text(encoding="utf-8")
        assert 0 <= r["metadata"]["removed_share"] < 1
        assert r["metadata"]["language"] == "vi" and r["metadata"]["language_confidence"] == 1.0
    shares = {r["id"]: r["metadata"]["removed_share"] for r in recs}
    assert shares["003_1e4782921429b962"] > 0.3 > shares["002_97be7a92666df018"]  # a related-news block went

    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    shutil.rmtree(out / "_stages" / "runs")
    (folder / "00009.jsonl.gz").write_bytes(b"stale")  # a shard of an earlier, larger run
    run_cleanall(src, out, "--shard-size", "2")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # the same bytes, nothing stale


def test_readers_take_the_folder_as_it_is(run):
    """duckdb (when installed) reads the shards with one glob, metadata included."""
    duckdb = pytest.importorskip("duckdb")
    _, out = run
    rows = duckdb.sql(f"select id, metadata.removed_share from read_json_auto('{out}/dataset/*.jsonl.gz') order by id").fetchall()
    assert len(rows) == 5 and all(0 <= share < 1 for _, share in rows)


def test_parquet_by_a_setting(fixtures, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    cfg = tmp_path / "parquet.cfg"
    cfg.write_text("[cleaning]\ndataset_format = parquet\n")
    out = tmp_path / "out"
    run_cleanall(fixtures / "seeds", out, env={"LUIGI_CONFIG_PATH": str(cfg)})
    names = sorted(p.name for p in (out / "dataset").iterdir())
    assert names == ["00000.parquet"]
    table = pq.read_table(out / "dataset" / names[0]).to_pylist()
    assert [r["id"] for r in table] == sorted(p.stem for p in (fixtures / "seeds").glob("*.txt"))
    assert all(r["metadata"]["removed_share"] is not None and r["text"] for r in table)

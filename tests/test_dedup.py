"""Near-duplicates: MinHash as datasketch computes it, within documents and across the corpus."""
import json
import re
import shutil

import numpy as np
import pytest
import xxhash
from datasketch import MinHash

from conftest import run_cleanall
from pipeline.dedup import corpus
from pipeline.dedup.minhash import MinHasher, lsh_params, permutations
from pipeline.dedup.shingles import line_shingle_hashes, shingles


def test_numpy_signatures_equal_datasketch(fixtures):
    texts = [p.read_text(encoding="utf-8") for p in sorted((fixtures / "dev" / "raw").glob("*.txt"))]
    sets = [shingles(t) for t in texts] + [shingles(l) for t in texts for l in t.split("\n")[:5]]
    ours = MinHasher(128, seed=1).signatures(sets)
    ref = MinHash.bulk([[s.encode() for s in x] for x in sets], num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
    assert np.array_equal(ours, np.stack([m.hashvalues for m in ref]))


def test_batched_shingle_hashes_match_the_string_shingles_line_by_line(fixtures):
    """The numpy hasher sees the same shingles as ``shingles`` (one distinct hash per distinct
    shingle), and a line hashes the same alone or in a batch of a whole corpus."""
    lines = [ln for p in sorted((fixtures / "dev" / "raw").glob("*.txt"))
             for ln in p.read_text(encoding="utf-8").split("\n") if ln.strip()]
    lines += ["🙂 Hà Nội 𝔘 emoji_and astral", "ĐÀ NẴNG", "0:00 / 0:00", "***"]
    flat, sizes, counts = line_shingle_hashes(lines, with_counts=True)
    offs = np.concatenate(([0], np.cumsum(sizes)))
    for k, ln in enumerate(lines):
        mine = flat[offs[k] : offs[k + 1]]
        assert len(np.unique(mine)) == len(shingles(ln)), ln
        assert np.array_equal(mine, line_shingle_hashes([ln])[0]), ln
        assert counts[k] == len(re.findall(r"\w+", ln))


def test_permutations_and_lsh_parameters_are_datasketchs():
    """Computed here without importing datasketch (it loads scipy); they must be its own."""
    from datasketch.lsh import _optimal_param

    for n in (64, 128):
        a, b = MinHash(num_perm=n, seed=1).permutations
        assert [np.asarray(a, np.uint32).tolist(), np.asarray(b, np.uint32).tolist()] == [p.tolist() for p in permutations(n, 1)]
        for threshold in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9):
            assert lsh_params(threshold, n) == _optimal_param(threshold, n, 0.5, 0.5)


def test_vietnamese_shingles_keep_tones():
    assert shingles("ma má mà mả mã mạ") != shingles("ma ma ma ma ma ma")


def test_without_caption_rules_the_repeat_stage_drops_the_second_copy(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(fixtures / "seeds" / "003_1e4782921429b962.txt", src)
    cfg = tmp_path / "nocaption.cfg"
    cfg.write_text("[cleaning]\ndisabled_reasons = caption,related_news\n")
    run_cleanall(src, tmp_path / "out", env={"LUIGI_CONFIG_PATH": str(cfg)})
    rec = json.loads((tmp_path / "out" / "manifest.jsonl").read_text(encoding="utf-8"))
    dups = [e for e in rec["edits"] if e["reason"] == "duplicate"]
    removed = [e["text"].strip() for e in dups]
    assert any(t.endswith("Hữu Nghị Quan (Trung Quốc). (Ảnh: ĐVCC)") for t in removed)
    assert any(t.startswith("Lạng Sơn phát triển bền vững") for t in removed)
    for e in dups:  # each points at the kept first copy, which reads the same
        ref = e["duplicate_of"]
        assert ref["id"] == rec["id"] and ref["end"] <= e["start"]
    clean = (tmp_path / "out" / "clean" / "003_1e4782921429b962.txt").read_text(encoding="utf-8")
    assert clean.count("Lạng Sơn phát triển bền vững kinh tế - xã hội, tăng cường quốc phòng, an ninh. (Ảnh: ĐVCC)") == 1


BODY = [
    "Trong bối cảnh tình hình thế giới biến động phức tạp với nhiều khó khăn, thách thức, tỉnh đã chỉ đạo quyết liệt các cấp, các ngành tập trung thực hiện nghiêm túc các giải pháp thúc đẩy tăng trưởng kinh tế.",
    "Cụ thể, kinh tế của tỉnh phát triển khá toàn diện, tốc độ tăng trưởng tổng sản phẩm trên địa bàn đạt 7%, đạt mục tiêu đề ra; hoạt động sản xuất công nghiệp và thương mại tiếp tục tăng trưởng.",
    "Công tác chuyển đổi số được chú trọng, đồng thời ghi nhận nhiều kết quả nổi bật; tỉnh triển khai quyết liệt, đồng bộ và hiệu quả công tác cải cách hành chính, tập trung vào cải cách thủ tục hành chính.",
]
TEMPLATE = "Mọi thông tin phản ánh xin gửi về hộp thư của tòa soạn hoặc gọi đường dây nóng của chúng tôi để được hỗ trợ kịp thời."
SHARED = "Theo báo cáo của ngành chức năng, trong năm qua toàn tỉnh đã xảy ra hơn ba trăm vụ tai nạn giao thông làm chết và bị thương nhiều người."


TOPICS = [  # each article's own story, so no two articles are near-duplicates of each other
    "Mùa lúa năm nay nông dân ở đồng bằng thu hoạch sớm hơn mọi năm vì thời tiết nắng ráo kéo dài suốt tháng.",
    "Đội bóng của thành phố giành chiến thắng thuyết phục trong trận đấu tối qua trước hàng nghìn cổ động viên.",
    "Nhà máy điện mặt trời mới đi vào vận hành cung cấp nguồn năng lượng sạch cho hàng chục nghìn hộ gia đình.",
    "Học sinh khối mười hai bước vào kỳ thi thử với tâm lý thoải mái sau nhiều tháng ôn luyện chăm chỉ ở trường.",
    "Giá vàng trong nước biến động mạnh theo thị trường thế giới khiến nhiều nhà đầu tư nhỏ lẻ thận trọng hơn.",
    "Bệnh viện tuyến tỉnh tiếp nhận thêm thiết bị chẩn đoán hình ảnh hiện đại do các nhà hảo tâm trao tặng.",
    "Lễ hội hoa xuân thu hút đông đảo du khách đến tham quan chụp ảnh và thưởng thức ẩm thực địa phương.",
    "Cây cầu mới bắc qua sông giúp người dân hai bên bờ đi lại thuận tiện, không còn phải chờ phà như trước.",
]


def _article(i: int, extra: list[str]) -> str:
    own = f"Bài số {i} nói về chủ đề riêng thứ {i} với những chi tiết riêng biệt không lặp lại ở bất kỳ bài nào khác trong kho dữ liệu số {i * 7}."
    return "\n\n".join([f"Tiêu đề bài viết số {i}", own, TOPICS[min(i, len(TOPICS) - 1)], *extra,
                        f"Đoạn kết của bài {i}: mọi số liệu {i * 13} và {i * 17} đều là riêng của bài này."]) + "\n"


@pytest.fixture
def planted(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(7):
        extra = [TEMPLATE] if i < 6 else []
        if i in (2, 4):
            extra.append(SHARED)
        (src / f"doc{i}.txt").write_text(_article(i, extra), encoding="utf-8")
    base = "\n\n".join(["Tỉnh tận dụng thời cơ phát triển kinh tế", *BODY]) + "\n"
    (src / "a_original.txt").write_text(base, encoding="utf-8")
    (src / "b_copy.txt").write_text(base.replace("khá toàn diện", "rất toàn diện"), encoding="utf-8")
    return src


def _by_id(out):
    return {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}


def test_corpus_duplicates_templates_and_shared_paragraphs(planted, tmp_path):
    out = tmp_path / "out"
    run_cleanall(planted, out)
    recs = _by_id(out)
    assert recs["b_copy"]["status"] == "duplicate"
    assert recs["b_copy"]["duplicate_of"]["id"] == "a_original" and recs["b_copy"]["similarity"] >= 0.8
    assert recs["a_original"]["status"] == "ok"
    kept_ids = [json.loads(l)["id"] for l in (out / "clean.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "b_copy" not in kept_ids and (out / "clean" / "b_copy.txt").exists()
    for i in range(6):  # in six documents: template text, gone everywhere
        assert TEMPLATE not in (out / "clean" / f"doc{i}.txt").read_text(encoding="utf-8")
        assert any(e["reason"] == "repeated_boilerplate" for e in recs[f"doc{i}"]["edits"])
    # shared by two: stays in the first, goes from the second with a pointer to the kept copy
    assert SHARED in (out / "clean" / "doc2.txt").read_text(encoding="utf-8")
    assert SHARED not in (out / "clean" / "doc4.txt").read_text(encoding="utf-8")
    e = [e for e in recs["doc4"]["edits"] if e["reason"] == "duplicate"][0]
    ref = e["duplicate_of"]
    raw2 = (planted / "doc2.txt").read_text(encoding="utf-8")
    assert ref["id"] == "doc2" and raw2[ref["start"]:ref["end"]] == SHARED


def test_decisions_do_not_depend_on_shard_size_or_workers(planted, tmp_path):
    run_cleanall(planted, tmp_path / "a", "--shard-size", "1000")
    run_cleanall(planted, tmp_path / "b", "--shard-size", "2", "--workers", "2")
    for name in ("manifest.jsonl", "clean.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_flag_mode_leaves_the_text_alone(planted, tmp_path):
    cfg = tmp_path / "flag.cfg"
    cfg.write_text("[cleaning]\ndedup_action = flag\n")
    run_cleanall(planted, tmp_path / "out", env={"LUIGI_CONFIG_PATH": str(cfg)})
    recs = _by_id(tmp_path / "out")
    assert recs["b_copy"]["status"] == "ok" and recs["b_copy"]["flags"][0]["reason"] == "duplicate"
    assert TEMPLATE in (tmp_path / "out" / "clean" / "doc0.txt").read_text(encoding="utf-8")
    assert any(f["reason"] == "repeated_boilerplate" for f in recs["doc0"]["flags"])


def test_a_new_batch_is_deduplicated_against_an_earlier_run(planted, tmp_path):
    first = tmp_path / "first"
    run_cleanall(planted, first)
    assert (first / "index").is_dir()
    batch = tmp_path / "batch"
    batch.mkdir()
    original = (planted / "a_original.txt").read_text(encoding="utf-8")
    (batch / "0_again.txt").write_text(original.replace("khá toàn diện", "hết sức toàn diện"), encoding="utf-8")
    (batch / "new.txt").write_text(_article(99, [SHARED]), encoding="utf-8")
    second = tmp_path / "second"
    run_cleanall(batch, second, "--against", str(first))
    recs = _by_id(second)
    assert set(recs) == {"0_again", "new"}  # only the new batch is decided
    assert recs["0_again"]["status"] == "duplicate"
    assert recs["0_again"]["duplicate_of"]["id"] == "a_original" and recs["0_again"]["duplicate_of"]["run"] == str(first)
    e = [e for e in recs["new"]["edits"] if e["reason"] == "duplicate"][0]
    assert e["duplicate_of"]["id"] == "doc2" and e["duplicate_of"]["run"] == str(first)


def test_band_pairs_a_range_at_a_time_equal_one_pass(tmp_path):
    rng = np.random.default_rng(7)
    sources, columns = [], []
    for shard in range(5):
        n = int(rng.integers(0, 400))
        bands = rng.integers(0, 1 << 63, size=(3, n), dtype=np.uint64) * np.uint64(2)
        bands[:, ::7] = np.uint64(1 << 62)  # a large bucket across shards
        bands[:, 1::11] = bands[:, : len(bands[0, 1::11])]  # and collisions inside a shard
        arrays = {"doc_bands": bands, "para_bands": bands[:, :0]}
        columns.append((corpus.gid(shard, np.arange(n)), bands[1].copy()))
        corpus.sort_bands(arrays)
        paths = (tmp_path / f"{shard}.h.npy", tmp_path / f"{shard}.r.npy")
        np.save(paths[0], arrays["doc_bands"])
        np.save(paths[1], arrays["doc_band_rows"])
        sources.append((shard, str(paths[0]), str(paths[1])))
    whole = corpus.band_candidates(columns)
    assert len(whole) > 100
    assert np.array_equal(corpus.band_candidates(columns[::-1]), whole)  # ids not rising: the same buckets
    for max_items in (1 << 19, 200, 17):
        assert np.array_equal(corpus.band_candidates_ranged(sources, 1, max_items), whole)

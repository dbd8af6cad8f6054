"""The `pipeline` command: diff and stats as a user runs them."""
import pytest
import os
import pty
import shutil
import subprocess
import sys

from conftest import ROOT, run_cleanall

SEED = "003_1e4782921429b962"


def pipeline(*args, env=None, input=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, **(env or {})), input=input)


def on_a_terminal(*args, env, stream="stdout"):
    """Run with ``stream`` on a pseudo-terminal, as a user at a terminal sees it; read it while
    the command runs (a full terminal buffer would block it)."""
    master, slave = pty.openpty()
    other = subprocess.DEVNULL
    p = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=dict(os.environ, **env),
                         stdout=slave if stream == "stdout" else other, stderr=slave if stream == "stderr" else other)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=120), out.decode("utf-8", "replace")


def test_diff_stats_and_helpful_errors(fixtures, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    out = tmp_path / "out"
    run_cleanall(src, out)
    r = pipeline("diff", SEED, "--output-dir", str(out))
    assert r.returncode == 0 and "\x1b[" not in r.stdout  # plain when piped
    assert "-0:00 / 0:00    # player_widget (player_time)" in r.stdout
    assert "# related_news (related_header)" in r.stdout and "+Với chủ đề" in r.stdout
    assert "\x1b[" in pipeline("diff", SEED, "--output-dir", str(out), "--color", "always").stdout

    s = pipeline("stats", "--output-dir", str(out))
    assert s.returncode == 0 and "5 kept" in s.stdout and "related_news" in s.stdout

    bad = pipeline("diff", "003_1e4782921429b96", "--output-dir", str(out))
    assert bad.returncode == 2 and "Did you mean: 003_1e4782921429b962" in bad.stderr
    missing = pipeline("stats", "--output-dir", str(tmp_path / "nowhere"))
    assert missing.returncode != 0 and "Run the cleaning first" in missing.stderr
    assert "diff" in pipeline("--help").stdout


def _hunks(text):
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith("@@"):
            cur = []
            out.append(cur)
        elif cur is not None:
            cur.append(line)
    return out


def test_diff_on_crlf_input_shows_removals_not_line_ends(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    raw = (fixtures / "seeds" / f"{SEED}.txt").read_bytes()
    (src / f"{SEED}.txt").write_bytes(raw.replace(b"\n", b"\r\n"))  # as every VNTC file is
    (src / "zz_copy.txt").write_bytes(raw)
    out = tmp_path / "out"
    run_cleanall(src, out)

    plain = pipeline("diff", SEED, "--output-dir", str(out)).stdout
    assert "whitespace" not in plain and "\r" not in plain  # no removal hides under a white-space edit
    import json

    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        for e in json.loads(line)["edits"]:  # the same in the manifest: a removal keeps its reason
            assert "whitespace" not in e["reason"] or not e["text"].strip(), e
    removed = [l for l in plain.splitlines() if l.startswith("-") and not l.startswith("---")]
    assert "-0:00 / 0:00    # player_widget (player_time)" in removed
    assert all("    # " in l for l in removed)  # every removal says why
    ws = pipeline("diff", SEED, "--output-dir", str(out), "--whitespace").stdout
    assert ws.count("# whitespace (crlf)") > 20 and "␍" in ws and len(ws.splitlines()) > len(plain.splitlines())

    only = pipeline("diff", SEED, "--output-dir", str(out), "--reason", "caption").stdout
    hunks = _hunks(only)
    assert hunks and all(any("# caption" in l for l in h) for h in hunks)  # only hunks with that reason
    clean_lines = len((out / "clean" / f"{SEED}.txt").read_text(encoding="utf-8").splitlines())
    for h in hunks:  # every added line is the counterpart of the raw line just above it
        for k, l in enumerate(h):
            if l.startswith("+"):
                assert k > 0 and h[k - 1].startswith("-")
    assert sum(l.startswith("+") for h in hunks for l in h) < clean_lines // 4

    bogus = pipeline("diff", SEED, "--output-dir", str(out), "--reason", "bogus")
    assert bogus.returncode == 2 and "unknown reason 'bogus'" in bogus.stderr and "caption" in bogus.stderr
    assert "Traceback" not in bogus.stderr

    dup = pipeline("diff", "zz_copy", "--output-dir", str(out)).stdout
    assert f"duplicate of {SEED}" in dup.splitlines()[1]
    kept = pipeline("diff", "zz_copy", "--output-dir", str(out), "--against-kept").stdout
    assert kept.startswith(f"--- kept/{SEED}") and "identical" in kept
    assert pipeline("diff", SEED, "--output-dir", str(out), "--against-kept").returncode == 2

    assert "\x1b[" in on_a_terminal("diff", SEED, "--output-dir", str(out), env={"TERM": "xterm"})[1]
    assert "\x1b[" not in on_a_terminal("diff", SEED, "--output-dir", str(out), env={"NO_COLOR": "1", "TERM": "xterm"})[1]
    assert "\x1b[" not in on_a_terminal("diff", SEED, "--output-dir", str(out), env={"TERM": "dumb"})[1]


def test_cli_habits(fixtures, tmp_path):
    from pipeline.cli import build_parser
    from pipeline.summary import OUTPUTS, format_summary
    from pipeline.tasks import CleanAll

    assert pipeline("--version").stdout.strip() == "pipeline 0.1.0"
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert parser.description and len(parser.description) > 40, f"`pipeline {name}` has no description"
    run_help = pipeline("run", "--help").stdout
    for name, _ in CleanAll.get_params():  # every option of the Luigi task
        assert f"--{name.replace('_', '-')}" in run_help

    text = "Tiêu đề bài viết\nNội dung bài viết rất dài và đầy đủ ý nghĩa cho người đọc.\nQuảng cáo\n"
    r = pipeline("clean", "-", input=text)
    assert r.returncode == 0 and r.stdout == "Tiêu đề bài viết\nNội dung bài viết rất dài và đầy đủ ý nghĩa cho người đọc.\n"
    for arg, says in ((str(tmp_path / "nope.txt"), "no such file"), (str(fixtures / "seeds"), "is a folder")):
        r = pipeline("clean", arg)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1

    r = pipeline("run", "--input-dir", str(fixtures / "seeds"), "--output-dir", str(tmp_path / "o"), "--against", str(tmp_path / "x"))
    assert r.returncode == 2 and r.stderr.strip() == f"pipeline: --against {tmp_path / 'x'}: no such folder"

    one = {"documents": 1, "ok": 1, "duplicate": 1, "rejected": 0, "lines_removed": {"caption": 1}, "edits": {},
           "skipped_entries": 1}
    said = format_summary(one, "out")
    assert "Cleaned 1 document into out/: 1 kept, 1 duplicate, 0 rejected." in said
    assert "Skipped 1 entry that is not" in said

    src = tmp_path / "in"
    shutil.copytree(fixtures / "seeds", src)
    out = tmp_path / "out"
    r = pipeline("run", "--input-dir", str(src), "--output-dir", str(out), "--shard-size", "2")
    assert r.returncode == 0 and "Cleaned 5 documents" in r.stdout
    for path, _ in OUTPUTS:  # the summary names every output, and each exists
        assert f"{out}/{path}" in r.stdout and (out / path).exists()
    again = pipeline("run", "--input-dir", str(src), "--output-dir", str(out), "--shard-size", "2")
    assert again.returncode == 0 and "Nothing changed since the last run" in again.stderr
    assert "\x1b[K" not in r.stderr  # piped: no live line


def test_a_live_progress_line_on_a_terminal(fixtures, tmp_path):
    rc, text = on_a_terminal("run", "--input-dir", str(fixtures / "seeds"), "--output-dir", str(tmp_path / "out"),
                             "--shard-size", "1", env={"TERM": "xterm"}, stream="stderr")
    assert rc == 0
    assert "\r\x1b[K[pipeline] " in text and "/ 5 documents" in text  # redrawn in place
    assert "repair  shard" not in text  # no per-shard lines on a terminal


def test_a_flattened_body_shows_its_cuts_inside_the_line():
    """A long line is printed once with each cut in place, not as two near-identical lines."""
    from pipeline.linediff import align, inline, show_inline

    body = ("Người dân đổ về trung tâm thành phố từ sáng sớm để xem lễ diễu hành. " * 6
            + "Xe hoa đi qua quảng trường chính. Ảnh: Minh Hà " + "Buổi lễ kéo dài đến trưa. " * 6)
    raw = "Lễ hội mùa xuân\n" + body + "\n"
    cut = body.index("Xe hoa")
    end = body.index("Buổi lễ")
    start = len("Lễ hội mùa xuân\n")
    edits = [{"start": start + cut, "end": start + end, "text": body[cut:end], "replacement": "",
              "reason": "caption", "rule": "credit_caption", "inline": True}]
    line = align(raw, edits)[1]
    assert line.kind == "changed" and show_inline(line)
    shown = inline(line, lambda code, s: s)
    assert "[-Xe hoa đi qua quảng trường chính. Ảnh: Minh Hà -]{caption}" in shown
    assert len(shown) < len(body)  # the unchanged text is shortened around the cut
    assert shown.startswith("…") and shown.endswith("…")  # far from the cut: elided


def test_pipeline_clean_extracts_a_page_from_a_file_and_from_stdin(capsys, monkeypatch):
    """A page given to ``pipeline clean`` goes through trafilatura as in a run, not printed as
    markup (found by a newcomer review)."""
    import io
    from pathlib import Path

    from pipeline.cli import main

    page = Path(__file__).parent / "fixtures/html/fundus__vnexpress__2025_10_22.html"
    assert main(["clean", str(page)]) == 0
    from_file = capsys.readouterr().out
    assert from_file.startswith("Đau bụng kéo dài, phát hiện ung thư lymphoma ruột non\n")
    assert "<div" not in from_file and "<html" not in from_file
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(page.read_bytes())))
    assert main(["clean", "-"]) == 0
    assert capsys.readouterr().out == from_file


def test_pipeline_run_takes_switches_as_flags_like_luigi():
    """`pipeline run --allow-empty` (what the refusal sentence tells a user to type) is a flag,
    as on luigi's command line, not an option wanting a value."""
    from pipeline.cli import build_parser

    args = build_parser().parse_args(["run", "--allow-empty", "--wait-for-lock"])
    assert args.allow_empty is True and args.wait_for_lock is True
    assert build_parser().parse_args(["run"]).allow_empty is None  # left to luigi.cfg


@pytest.mark.parametrize("setting, says", [
    ("rule_pack = nope", "cannot read the rule pack"),
    ("rule_pack = /nonexistent/missing.toml", "cannot read the rule pack"),  # read for the digest first
    ("line_model = /nonexistent/missing.json", "cannot read the line model"),
    ("dedup_threshold = abc", "a [cleaning] setting cannot be read"),
    ("disabled_reasons = captions", "unknown reason 'captions'"),
    ("repeat_threshold = 5", "between 0 and 1"),
])
def test_a_bad_setting_is_one_sentence_before_anything_runs(tmp_path, setting, says):
    import subprocess
    import sys
    from pathlib import Path

    cfg = tmp_path / "bad.cfg"
    cfg.write_text(f"[cleaning]\n{setting}\n")
    seeds = Path(__file__).parent / "fixtures" / "seeds"
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(cfg)}
    r = subprocess.run([sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(seeds),
                        "--output-dir", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 2
    assert says in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "manifest.jsonl").exists()


def test_a_rule_pack_refused_while_the_inputs_are_listed_leaves_earlier_outputs(tmp_path):
    """The packs are loaded beside the listing of the inputs (a forked process): a pack that
    does not load stops that process and the run, and the published outputs stay as they were."""
    import subprocess
    import sys
    from pathlib import Path

    seeds = Path(__file__).parent / "fixtures" / "seeds"
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(seeds), "--output-dir", str(out)]
    assert subprocess.run(cmd, capture_output=True, cwd=tmp_path).returncode == 0
    def published():  # all but the stage files and the lock (which holds the last run's pid)
        return {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and "_stages" not in p.parts and p.name != ".lock"}

    before = published()
    cfg = tmp_path / "bad.cfg"
    cfg.write_text("[cleaning]\nrule_pack = nope\n")
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "LUIGI_CONFIG_PATH": str(cfg)})
    assert r.returncode == 2 and "cannot read the rule pack" in r.stderr and "Traceback" not in r.stderr
    assert published() == before
    assert subprocess.run(cmd, capture_output=True, cwd=tmp_path).returncode == 0  # and the lock was let go


def test_diff_header_stays_one_line_for_a_name_with_a_line_break(fixtures, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    text = (fixtures / "seeds" / f"{SEED}.txt").read_bytes()
    (src / "two\nlines.txt").write_bytes(text)
    out = tmp_path / "out"
    run_cleanall(src, out)
    r = pipeline("diff", "two\nlines", "--output-dir", str(out))
    assert r.returncode == 0, r.stderr
    head = r.stdout.splitlines()[:2]
    assert head[0].startswith("--- raw/two\\nlines  (") and head[1].startswith("+++ clean/two\\nlines.txt  (")


def test_against_kept_says_how_a_duplicate_without_a_similarity_was_found(tmp_path):
    """A document emptied because each line repeats other documents has no similarity of its own."""
    import json

    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "kept.txt").write_text("Dòng một.\nDòng hai.\n", encoding="utf-8")
    (tmp_path / "clean" / "copy.txt").write_text("", encoding="utf-8")
    recs = [{"id": "kept", "status": "ok", "source": "kept.txt", "encoding": "utf-8", "edits": []},
            {"id": "copy", "status": "duplicate", "source": "copy.txt", "encoding": "utf-8", "edits": [],
             "duplicate_of": {"id": "kept"}, "similarity": None}]
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    r = pipeline("diff", "copy", "--output-dir", str(tmp_path), "--against-kept")
    assert r.returncode == 0, r.stderr
    assert "+++ duplicate/copy  (each of its lines repeats other documents)" in r.stdout and "None" not in r.stdout


def test_pipeline_run_plans_with_the_worker_count_it_was_given(monkeypatch, tmp_path):
    """The automatic shard size follows the workers; CleanAll plans when it is made, so
    `pipeline run --workers N` must have set them where CleanAll reads them by then (as
    `luigi --workers N` does)."""
    import luigi
    import luigi.configuration
    import luigi.interface

    from pipeline import cli, tasks

    seen = {}

    class Probe:
        get_params = tasks.CleanAll.get_params  # the options `pipeline run` offers

        def __init__(self, **kwargs):
            seen["workers"] = luigi.interface.core().workers
            self.input_dir, self.against = kwargs["input_dir"], ""

    monkeypatch.setattr(tasks, "CleanAll", Probe)
    monkeypatch.setattr(luigi, "build", lambda *a, **k: type("R", (), {"scheduling_succeeded": False})())
    (tmp_path / "in").mkdir()
    try:
        cli.main(["run", "--input-dir", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"), "--workers", "3"])
    finally:
        luigi.configuration.get_config().remove_option("core", "workers")  # this process's later tests
    assert seen["workers"] == 3


def test_pipeline_clean_uses_the_settings_a_run_in_the_same_folder_uses(tmp_path):
    """``pipeline clean`` previews what a run would write: it reads the same [cleaning] settings
    (here luigi.cfg in the folder it is started from), so a caption the setting keeps stays in
    both; ``--pack`` picks another pack, and a pack that does not load is one sentence."""
    from pathlib import Path

    seeds = Path(__file__).parent / "fixtures" / "seeds"
    name = "000_aab61c460ed40d52"
    (tmp_path / "luigi.cfg").write_text("[cleaning]\ndisabled_reasons = caption\n")

    def clean(*args):
        return subprocess.run([sys.executable, "-m", "pipeline", "clean", str(seeds / f"{name}.txt"), *args],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert subprocess.run([sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(seeds),
                           "--output-dir", "out"], capture_output=True, cwd=tmp_path, timeout=300).returncode == 0
    kept = clean()
    assert kept.returncode == 0
    assert kept.stdout == (tmp_path / "out" / "clean" / f"{name}.txt").read_text(encoding="utf-8")
    assert "Quang cảnh buổi tọa đàm" in kept.stdout  # a caption the shipped settings remove
    default = pipeline("clean", str(seeds / f"{name}.txt"))  # from the project folder: its luigi.cfg
    assert "Quang cảnh buổi tọa đàm" not in default.stdout
    assert clean("--pack", "base").stdout != kept.stdout
    bad = clean("--pack", "nope")
    assert bad.returncode == 2 and "cannot read the rule pack" in bad.stderr and "Traceback" not in bad.stderr


def test_pipeline_clean_keeps_the_run_s_size_limit_and_repeat_settings(tmp_path):
    """The other [cleaning] settings that decide a document's text reach ``pipeline clean`` too:
    a file over ``max_bytes`` is rejected as the run rejects it (with the limit in words a
    reader understands), and with ``repeat_window = 0`` a nearby repeated line stays."""
    from pathlib import Path

    line = "Người dân tập trung đông đúc tại quảng trường trung tâm thành phố để xem bắn pháo hoa."
    text = f"Tiêu đề bài viết\n\n{line}\n\n{line}\n\nĐoạn cuối của bài viết có nhiều chữ hơn một chút để đọc.\n"
    f = tmp_path / "repeat.txt"
    f.write_text(text, encoding="utf-8")

    def clean(cfg):
        (tmp_path / "luigi.cfg").write_text("[cleaning]\n" + cfg)
        return subprocess.run([sys.executable, "-m", "pipeline", "clean", str(f)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, env={k: v for k, v in os.environ.items() if k != "LUIGI_CONFIG_PATH"})

    assert clean("").stdout.count(line) == 1
    assert clean("repeat_window = 0\n").stdout.count(line) == 2
    big = clean("max_bytes = 100\n")
    assert big.returncode == 1 and big.stdout == ""
    assert "larger than the 100 bytes limit per document" in big.stderr

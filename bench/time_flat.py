"""The cost of the flattened-article rules alone: the rules stage (strip_documents) over a
corpus with ``[flat]`` on and off, in one process, CPU time, best of 3.

    python bench/time_flat.py CORPUS_DIR [PREFIX] [model]

PREFIX (default ``baomoi__``; ``""`` for every file) picks the inputs; ``model`` turns the
sentence model on. The machine is shared: this times one stage, not bench/speed.py's whole run.
"""
import sys, time, glob, os, dataclasses
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from pipeline.readers import read_bytes_document
from pipeline.chain import repair_document
from pipeline import boilerplate
from pipeline.rules import engine
corpus = sys.argv[1]
prefix = sys.argv[2] if len(sys.argv) > 2 else "baomoi__"
files = sorted(glob.glob(os.path.join(corpus, f"{prefix}*.txt")))
datas = [(os.path.basename(f)[:-4], open(f, 'rb').read()) for f in files]
on = engine.load_pack("vi"); off = dataclasses.replace(on, flat=None)
if len(sys.argv) > 3: on = dataclasses.replace(on, flat=dataclasses.replace(on.flat, model=True))
def run(pack):
    boilerplate.load_pack = lambda name: pack
    ds = [repair_document(read_bytes_document(n, b)) for n, b in datas]
    t = time.process_time(); list(boilerplate.strip_documents(ds)); return time.process_time() - t
run(on); run(off)
res = {"off": [], "on": []}
for _ in range(3):
    res["off"].append(run(off)); res["on"].append(run(on))
print(f"{len(files)} docs ({prefix or 'all'}): rules stage CPU, best of 3: flat off {min(res['off']):.2f} s, flat on {min(res['on']):.2f} s, "
      f"added {min(res['on']) - min(res['off']):.2f} s ({(min(res['on']) - min(res['off'])) / len(files) * 1e6:.0f} µs/doc)")

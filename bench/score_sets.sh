#!/usr/bin/env bash
# Line and word removal precision / recall of the whole chain on every labelled set:
#   bash bench/score_sets.sh [OUT_ROOT]      (from the project folder; needs ../shared)
# Each set's raw/ is cleaned by CleanAll into OUT_ROOT/SET, then ../shared/tools/score.py scores
# OUT_ROOT/SET/clean against the set's labels; one line per set. eval/holdout/* are blind sets:
# read their totals only (see eval/holdout/README.md).
set -u
OUT=${1:-/tmp/score-sets}
SHARED=${SHARED:-../shared}
PY=${PY:-.venv/bin/python}
sets=("gold seeds $SHARED/gold" "dev $SHARED/dev/raw $SHARED/dev/labels" "train $SHARED/train/raw $SHARED/train/labels"
      "train-flat $SHARED/train-flat/raw $SHARED/train-flat/labels")
for s in vntc vntc2 vfnd vfnd2 vfnd3 baomoi baomoi2; do sets+=("$s training/$s/raw training/$s/labels"); done
for s in vntc vfnd baomoi; do sets+=("holdout-$s eval/holdout/$s/raw eval/holdout/$s/labels"); done
for entry in "${sets[@]}"; do
  read -r name raw labels <<< "$entry"
  rm -rf "$OUT/$name"
  if ! "$PY" -m luigi --module pipeline CleanAll --input-dir "$raw" --output-dir "$OUT/$name" --workers 1 >/dev/null 2>"$OUT.$name.err"; then
    echo "$name: the run failed (see $OUT.$name.err)"; continue
  fi
  printf "%-15s %s\n" "$name" "$(python3 "$SHARED/tools/score.py" "$labels" "$OUT/$name/clean" | tail -1)"
done

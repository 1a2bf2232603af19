#!/usr/bin/env bash
# Runs one recipe from scratch (or resumes it): recipes/run_recipe.sh NAME
#   training recipe -> runs/NAME/ (model, logs), recipes/results/NAME.json and NAME.log
#   ensemble recipe -> its member recipes first (when not yet trained), then
#                      recipes/results/NAME.<split>.json
# Re-running the same command resumes an interrupted run (BackupAndRestore, phases).
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1"; shift || true
recipe="recipes/$name.json"
mkdir -p runs recipes/results
keras_ar() { PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" nice -n 5 python -m keras_ar.cli "$@"; }
field() { python -c "import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print(' '.join(v) if isinstance(v, list) else ('' if v is None else v))" "$recipe" "$1"; }

members="$(field ensemble)"
if [ -n "$members" ]; then
  runs=()
  for member in $members; do
    [ -e "runs/$member/results.json" ] || "$0" "$member"
    runs+=("runs/$member")
  done
  keras_ar evaluate "${runs[@]}" --weights "$(field weights)" --split "$(field split)" \
    --json "recipes/results/$name.$(field split).json" "$@"
else
  keras_ar train --recipe "$recipe" --out "runs/$name" --json "recipes/results/$name.json" "$@" \
    2>&1 | tee "recipes/results/$name.log"
fi

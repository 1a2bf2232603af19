#!/usr/bin/env bash
# Runs one recipe: recipes/run_recipe.sh NAME  -> runs/NAME (model, logs), recipes/results/NAME.json
# Re-running the same command resumes an interrupted run (BackupAndRestore).
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1"; shift || true
mkdir -p runs recipes/results
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" nice -n 5 python -m keras_ar.cli train \
  --recipe "recipes/$name.json" --out "runs/$name" --results "recipes/results/$name.json" --quiet "$@" \
  2>&1 | tee "recipes/results/$name.log"

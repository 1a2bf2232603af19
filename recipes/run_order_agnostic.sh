#!/usr/bin/env bash
# Trains, then evaluates, one order-agnostic recipe: recipes/run_order_agnostic.sh NAME
#   -> runs/NAME/best.keras, recipes/results/NAME.{history.json,train.json,json,log}
# DeepNADE on a machine with 2+ cores and `taskset`: `evaluate` on one core and
# `more-orderings` (other random orderings) on another, side by side, then `merge`.
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1"
recipe="recipes/$name.json"
mkdir -p recipes/results
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
stage=(nice -n 10 python recipes/order_agnostic.py)
{
  "${stage[@]}" train "$recipe"
  if grep -q '"model": "deep_nade"' "$recipe" && [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
    taskset -c 1 "${stage[@]}" evaluate "$recipe" & evaluate=$!
    taskset -c 0 "${stage[@]}" more-orderings "$recipe" 1000 & more=$!
    wait "$evaluate"; wait "$more"  # either failing stops the script
    "${stage[@]}" merge "$recipe"
  else
    "${stage[@]}" evaluate "$recipe"
  fi
} 2>&1 | grep --line-buffered -v -e oneDNN -e absl | tee -a "recipes/results/$name.log"  # -a: a resumed run adds to its log

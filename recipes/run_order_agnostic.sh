#!/usr/bin/env bash
# Trains, then evaluates, one order-agnostic recipe: recipes/run_order_agnostic.sh NAME
#   -> runs/NAME/best.keras, recipes/results/NAME.{history.json,train.json,json,log}
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1"
mkdir -p recipes/results
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
{
  PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" nice -n 10 python recipes/order_agnostic.py train "recipes/$name.json"
  PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" nice -n 10 python recipes/order_agnostic.py evaluate "recipes/$name.json"
} 2>&1 | grep --line-buffered -v -e oneDNN -e absl | tee "recipes/results/$name.log"

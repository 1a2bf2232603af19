"""BENCHMARKS.md rows of the order-agnostic recipes, from recipes/results/<name>*.json.

    python benchmarks/order_agnostic_table.py            # print the rows
    python benchmarks/order_agnostic_table.py --write    # replace them in BENCHMARKS.md

Rows go between the markers `<!-- order-agnostic rows -->` and
`<!-- /order-agnostic rows -->`. Every number is read from the result files that
`recipes/order_agnostic.py` writes (history, train summary, test evaluation).
"""

import functools
import json
import sys
from pathlib import Path

import numpy as np

from keras_ar import files
from keras_ar.training.ensembles import log_mean_exp

ROOT = Path(__file__).resolve().parent.parent
DEEP_NADE = ["deep_nade_2x1000_wd_ema_more4", "deep_nade_2x1000_wd_ema_more3",
             "deep_nade_2x1000_one_run_more", "deep_nade_2x1000_one_run",
             "deep_nade_2x1000_wd_ema_more2", "deep_nade_2x1000_wd_ema_more", "deep_nade_2x1000_wd_ema",
             "deep_nade_2x500_wd_ema", "deep_nade_2x500_wd", "deep_nade_2x500_wd01", "deep_nade_2x500",
             "deep_nade_1x500"]
# runs trained on from the chain as retrained on this machine (its stages are summarized in
# deep_nade_2x1000_retrained.json), not from the committed chain of the same recipe names
RETRAINED_CHAIN = {"deep_nade_2x1000_wd_ema_more3", "deep_nade_2x1000_wd_ema_more4"}
MADE_1_MASK = ["made_1x500_1mask", "made_1x500_1mask_direct", "made_1x500_1mask_direct_wd",
               "made_1x500_1mask_direct_wd_ema", "made_1x500_1mask_direct_wd02",
               "made_1x500_1mask_direct_adagrad"]
MADE_2_LAYERS = ["made_2x500_32masks", "made_2x500_32masks_direct"]
MADE_2_LAYERS_1_MASK = ["made_2x500_1mask_direct_wd"]  # no published target: reported
RECIPES = DEEP_NADE + ["made_1x500_32masks"] + MADE_1_MASK + MADE_2_LAYERS_1_MASK + MADE_2_LAYERS
START, END = "<!-- order-agnostic rows -->", "<!-- /order-agnostic rows -->"
EONADE = 85.10
# the mixture row: every DeepNADE run with 2 hidden layers (a rule fixed before their test
# numbers were read), each an equal-weight component holding all its evaluated orderings
MIXTURE = [name for name in DEEP_NADE if name.startswith("deep_nade_2x")]
GOALS = {**{name: (EONADE, "< 85.10 (EoNADE)") for name in DEEP_NADE},
         **{name: (88.40, "88.40 (paper)") for name in MADE_1_MASK},
         **{name: (86.7, "<= 86.7") for name in MADE_2_LAYERS},
         "made_1x500_32masks": (88.04, "88.04 (paper)")}


def load(path):
    return json.loads(path.read_text()) if path.exists() else None


@functools.cache  # pure given the result files; the table asks for each run many times
def training_summary(name):
    history = load(ROOT / "recipes" / "results" / f"{name}.history.json") or []
    scored = [r for r in history if "valid_nll" in r]
    if not scored:
        return None
    best = min(scored, key=lambda r: r["valid_nll"])
    minutes = sum(r["train_seconds"] + r.get("valid_seconds", 0) for r in history) / 60
    summary = load(ROOT / "recipes" / "results" / f"{name}.train.json")
    status = "finished" if summary else "running"
    date = ((summary or {}).get("environment") or {}).get("date", "")[:16]
    recipe = load(ROOT / "recipes" / f"{name}.json") or {}
    if name in RETRAINED_CHAIN:  # not the committed chain: the run's own record of what it went on from
        earlier = {"epochs": summary["earlier_epochs"], "minutes": summary["earlier_training_minutes"]}
    else:
        earlier = training_summary(recipe["init_from"]) if recipe.get("init_from") else None
    if earlier:  # a continuation: its epochs and minutes come after the earlier run's
        minutes += earlier["minutes"]
        return {"valid": best["valid_nll"], "best_epoch": f"{earlier['epochs']} + {best['epoch']}",
                "epochs": f"{earlier['epochs']} + {len(history)}", "minutes": minutes, "status": status,
                "date": date}
    return {"valid": best["valid_nll"], "best_epoch": best["epoch"], "epochs": len(history),
            "minutes": minutes, "status": status, "date": date}


def selected_instead(name, recipe, train):
    """(run, valid) of the finished DeepNADE run of the same layers with the best valid
    estimate, if it beats finished run `name`'s, else None: the protocol touches test once,
    with the run that valid selects, so `name` is not evaluated."""
    if train["status"] != "finished":
        return None
    rivals = []
    for other in DEEP_NADE:
        other_recipe = load(ROOT / "recipes" / f"{other}.json") or {}
        other_train = training_summary(other) if other != name else None
        if other_train and other_train["status"] == "finished" \
                and other_recipe.get("hidden_units") == recipe["hidden_units"]:
            rivals.append((other, other_train["valid"]))
    best = min(rivals, key=lambda rival: rival[1], default=None)
    return best if best and best[1] < train["valid"] else None


def verdict(name, value):
    goal = GOALS.get(name)
    if goal is None or value is None:
        return "report"
    missed = value - goal[0]
    return f"{goal[1]}: **missed by {missed:.2f}**" if missed > 0 else f"{goal[1]}: **met**"


def rows_for(name):
    recipe = load(ROOT / "recipes" / f"{name}.json")
    train = training_summary(name)
    if recipe is None or train is None:
        return [f"| `{name}` | not run | | | | | | | |"]
    result = load(ROOT / "recipes" / "results" / f"{name}.json") or {}
    test = result.get("test", {})
    date = (result.get("environment") or {}).get("date", "")[:16] or "(evaluation pending)"
    eval_minutes = result.get("evaluation_minutes")
    if eval_minutes is None and recipe["model"] == "made" and "seconds" in test:
        eval_minutes = test["seconds"] / 60  # MADE: the test pass is the whole evaluation
    eval_txt = f"eval {eval_minutes:.1f} min" if eval_minutes else "eval running"
    time_txt = f"{train['minutes']:.1f} min train; {eval_txt}"
    epochs = f"{train['epochs']} (best {train['best_epoch']}){'' if train['status'] == 'finished' else ', running'}"
    units = "x".join(str(u) for u in recipe["hidden_units"])
    rows = []
    if recipe["model"] == "deep_nade":
        valid = f"{train['valid']:.2f} (order-agnostic estimate)"
        ensembles = sorted((int(k.split("_")[1]), v) for k, v in test.items() if k.startswith("ensemble_"))
        kind = f", weight decay {recipe['weight_decay']}" if recipe.get("weight_decay") else ""
        kind += f", weight average {recipe['ema']}" if recipe.get("ema") else ""
        kind += f", trained on from `{recipe['init_from']}`" if recipe.get("init_from") else ""
        kind += " of the chain retrained here" if name in RETRAINED_CHAIN else ""
        for size, (nll, error) in ensembles:
            label = "1 random ordering" if size == 1 else f"ensemble of {size} random orderings"
            goal = verdict(name, nll) if size == ensembles[-1][0] else ""
            rows.append(f"| `{name}` DeepNADE {units} ReLU{kind}, {label} | {valid} | **{nll:.2f}** ± {error:.2f} | "
                        f"{recipe['published']} | {goal} | {epochs} | {time_txt} | {date} |")
        if test.get("orderings_evaluated", 0) > 1:
            rows.append(f"| `{name}` mean of the {test['orderings_evaluated']} single orderings | | "
                        f"{test['single_ordering_mean']:.2f} | | | | | |")
        for label, entry in result.get("inpainting_test", {}).items():
            nll, error = entry["nll_nats"]
            what = label.replace("_", " ")
            rows.append(f"| `{name}` inpainting, {what}: -log p(x_missing \\| x_observed), exact | | "
                        f"**{nll:.2f}** ± {error:.2f} | none on this split | report | | "
                        f"{entry['seconds'] / 60:.1f} min | {date} |")
        if not rows:
            rival = selected_instead(name, recipe, train)
            pending = "(evaluation pending)"
            if rival:
                pending = f"(not evaluated: valid selects `{rival[0]}`, {rival[1]:.2f})"
                time_txt, date = f"{train['minutes']:.1f} min train", train["date"]
            what = kind if name in RETRAINED_CHAIN else ""
            rows.append(f"| `{name}` DeepNADE {units}{what} | {valid} | {pending} | "
                        f"{recipe['published']} | | {epochs} | {time_txt} | {date} |")
    else:
        masks = recipe["num_masks"]
        valid = f"{train['valid']:.2f} ({masks}-mask ensemble)" if masks > 1 else f"{train['valid']:.2f}"
        kind = "order+connectivity-agnostic" if recipe.get("order_agnostic") else "one fixed mask, raster ordering"
        kind += ", direct connection" if recipe.get("direct_connection") else ""
        kind += f", weight decay {recipe['weight_decay']}" if recipe.get("weight_decay") else ""
        kind += f", weight average {recipe['ema']}" if recipe.get("ema") else ""
        kind += f", Adagrad {recipe['learning_rate']}" if recipe.get("optimizer") == "adagrad" else ""
        sizes = sorted((int(k.split("_")[0]), v) for k, v in test.items() if k.endswith("_masks"))
        for size, (nll, error) in sizes:
            goal = verdict(name, nll) if size == recipe["num_masks"] else ""
            label = ("mask 0 alone" if masks > 1 else "") if size == 1 else f"ensemble of {size} masks"
            rows.append(f"| `{name}` MADE {units} ReLU, {kind}{', ' + label if label else ''} | {valid} | "
                        f"**{nll:.2f}** ± {error:.2f} | {recipe['published']} | {goal} | {epochs} | "
                        f"{time_txt} | {date} |")
        if not rows:
            rows.append(f"| `{name}` MADE {units} | {valid} | (evaluation pending) | {recipe['published']} "
                        f"| | {epochs} | {time_txt} | {date} |")
    # the long columns once per recipe
    return [rows[0]] + [compact(r) for r in rows[1:]]


def per_ordering(name):
    """log p(x) of every test example under every evaluated ordering, `(examples, K)`:
    the files the recipe's `merge` stage folded together (`evaluate`'s alone before it)."""
    base = ROOT / "recipes" / "results"
    test = (load(base / f"{name}.json") or {}).get("test", {})
    files = [base / f for f in test.get("orderings_files", [f"{name}.test_per_ordering.npy"])]
    present = [np.load(f) for f in files if f.exists()]
    return np.concatenate(present, axis=1) if present else None


def mixture_rows():
    """The equal-weight mixture of the `MIXTURE` runs' ordering ensembles."""
    parts = {name: per_ordering(name) for name in MIXTURE}
    parts = {name: columns for name, columns in parts.items() if columns is not None}
    if len(parts) < 2:
        return []
    components = np.stack([log_mean_exp(columns, axis=1) for columns in parts.values()], axis=1)
    log_prob = log_mean_exp(components, axis=1)
    orderings = sum(columns.shape[1] for columns in parts.values())
    nll, error = -np.mean(log_prob), np.std(log_prob) / np.sqrt(len(log_prob))
    names = ", ".join(f"`{name}` ({columns.shape[1]})" for name, columns in parts.items())
    missed = nll - EONADE
    goal = f"< 85.10 (EoNADE): **missed by {missed:.2f}**" if missed > 0 else "< 85.10 (EoNADE): **met**"
    row = (f"| mixture of the {len(parts)} DeepNADE runs with 2 hidden layers, equal weights, each its "
           f"evaluated orderings ({orderings} in all: {names}) | | **{nll:.2f}** ± {error:.2f} | "
           f"EoNADE: one network, 128 orderings | {goal} (a mixture of networks, not one) | | | |")
    return [row]


def compact(row):
    """Blanks the valid and published cells of a recipe's later rows."""
    cells = row.split(" | ")
    if len(cells) > 3:
        cells[1] = "" if cells[1].endswith("estimate)") or cells[1].endswith("ensemble)") else cells[1]
        cells[3] = "" if "(" in cells[3] else cells[3]
    return " | ".join(cells)


def table():
    header = ("| recipe (row) | ours: valid | ours: **test** (± s.e.) | published | target | "
              "epochs (best) | time | date |")
    lines = [START, header, "|---|---|---|---|---|---|---|---|"]
    for name in RECIPES:
        lines += rows_for(name)
    lines += mixture_rows()
    return "\n".join(lines + [END])


def main():
    text = table()
    if "--write" not in sys.argv:
        print(text)
        return
    path = ROOT / "BENCHMARKS.md"
    content = path.read_text()
    if START not in content:
        raise SystemExit(f"{path} has no {START} marker")
    head, rest = content.split(START, 1)
    tail = rest.split(END, 1)[1]
    files.write_text(path, head + text + tail)


if __name__ == "__main__":
    main()

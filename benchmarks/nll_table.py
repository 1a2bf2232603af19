"""Markdown NLL table from recipes/results/*.json (one row per training result; a
recipe with phases has one per phase).

    python benchmarks/nll_table.py > nll_table.md
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fmt(value, digits=3):
    return "—" if value is None else f"{value:.{digits}f}"


def row(name, result, recipe):
    valid, test = result["valid"], result.get("test")
    env = result["environment"]
    if "nats_per_char" in valid:
        valid_txt = f"{fmt(valid['nats_per_char'], 4)} nats/char ({fmt(valid['bits_per_char'], 4)} bits/char)"
        test_txt = ("—" if test is None else
                    f"{fmt(test['nats_per_char'], 4)} nats/char ({fmt(test['bits_per_char'], 4)} bits/char)")
    else:
        def image(r):
            text = f"{fmt(r['nll_nats'], 2)} nats ({fmt(r['bits_per_dim'], 4)} bits/dim)"
            if "nll_nats_pixel_space" in r:
                text += (f"; pixel space {fmt(r['nll_nats_pixel_space'], 1)} nats, "
                         f"{fmt(r['bits_per_dim_pixel_space'], 3)} bits/dim")
            return text
        valid_txt, test_txt = image(valid), ("—" if test is None else image(test))
    minutes = (result.get("train_seconds_sum_of_epochs") or 0) / 60
    stop = " (time limit)" if result.get("stopped_by_time_limit") else ""
    command = f"`recipes/run_recipe.sh {name.split('.')[0]}`"
    return (f"| {name} | {result['data']['data']} | {result['model']} | {valid_txt} | {test_txt} | "
            f"{recipe.get('target', '')} | {recipe.get('published', '')} | "
            f"{result['epochs_run']} (best {result['best_epoch']}){stop} | {minutes:.1f} min | "
            f"{command} | {env['date'][:16]} |")


def main():
    lines = [
        "| recipe | data | model | valid | test | target | published | epochs | training time | command | date |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    envs = set()
    for path in sorted((ROOT / "recipes" / "results").glob("*.json")):
        result = json.loads(path.read_text())
        if "config" not in result:  # histories, and evaluations of finished runs
            continue
        recipe_file = ROOT / "recipes" / (path.name.split(".")[0] + ".json")
        recipe = json.loads(recipe_file.read_text()) if recipe_file.exists() else {}
        lines.append(row(path.stem, result, recipe))
        e = result["environment"]
        envs.add(f"{e['machine']}; Python {e['python']}, Keras {e['keras']} ({e['backend']}), "
                 f"TensorFlow {e.get('tensorflow')}, NumPy {e['numpy']}, keras-ar {e['keras_ar']}")
    lines.append("")
    lines += [f"Machine and versions: {e}" for e in sorted(envs)]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

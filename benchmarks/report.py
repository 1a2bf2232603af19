"""The speed benchmark's markdown report (tables from the JSON rows)."""

NAMES = {"keras_ar": "keras-ar", "torch_loop": "torch per-pixel loop",
         "torch_cumsum": "torch cumsum", "torch_gru": "torch.nn.GRU",
         "tf_eager_loop": "TF eager loop (old baseline)", "torch_made": "torch MADE",
         "torch_deep_nade": "torch DeepNADE", "keras_ar_no_xla": "keras-ar, jit_compile=False",
         "keras_ar_on_tensorflow": "keras-ar on TensorFlow", "keras_ar_on_jax": "keras-ar on JAX"}
OWN = ("tf_eager_loop", "keras_ar_no_xla", "keras_ar_on_tensorflow", "keras_ar_on_jax")  # not peers


def cell(stats):
    return f"{stats['median']:,.0f} ({stats['min']:,.0f}-{stats['max']:,.0f})"


def table(rows, peers):
    head = ["model", "task", "hidden", "batch", "unit", "keras-ar"]
    for peer in peers:
        head += [NAMES[peer], "ratio"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 5 + "---:|" * (1 + 2 * len(peers))]
    for r in rows:
        cells = [r["model"], r["task"], r["activation"], str(r["batch"]), r["unit"],
                 cell(r["keras_ar"])]
        for peer in peers:
            if peer in r:
                ratio = r[f"ratio_vs_{peer}"]
                own = peer in OWN  # not in bold
                cells += [cell(r[peer]), f"{ratio:.2f}x" if own else f"**{ratio:.2f}x**"]
            else:
                cells += ["", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(report):
    env, v = report["environment"], report["environment"]["versions"]
    rows = report["rows"]
    versus = [f"keras_ar_on_{report['versus']}"] if report.get("versus") else []
    nade = [r for r in rows if r["model"] == "NADE"]
    rnn = [r for r in rows if r["model"] == "CharRNN"]
    command = env["command"].replace("python ", "python ", 1)
    lines = [
        f"# Speed benchmark ({report['mode']}, keras-ar on {report['backend']})",
        "",
        f"`{command}` - {env['date_utc']} UTC, commit {env['git_commit']}; "
        f"{env['machine']}, {env['logical_cpus']} logical CPUs; load average "
        f"{env['load_average'][0]:.1f} before, {report['load_average_after'][0]:.1f} after "
        f"(1 min); total {report['total_seconds']:.0f} s"
        + ("." if report.get("complete", True) else " so far: **incomplete run**, rows still missing."),
        f"Python {v['python']}, Keras {v['keras']}, TensorFlow {v['tensorflow']}, "
        f"torch {v['torch']}, JAX {v['jax']}, NumPy {v['numpy']}, keras-ar {v['keras_ar']}.",
        "",
        (f"keras-ar runs on {report['backend']} and, interleaved with it, on {report['versus']}. "
         if report.get("versus") else "")
        + f"Threads per contestant: {report.get('threads') or 'framework default (all cores)'}. "
        f"Each cell: median of {report['rounds']} interleaved timed runs (min-max); warm-up "
        "(tracing, compilation) excluded and listed below. ratio = keras-ar / peer "
        "(> 1: keras-ar faster)."
        + (" keras-ar's workers on JAX run with "
           + ", ".join(f"`{k}={v}`" for k, v in report["jax_environment"].items())
           + " (one XLA CPU device per core, and the malloc setting for JAX on CPU: the "
           "README's advice is tcmalloc where installed, else huge pages; see BENCHMARKS.md, "
           "\"JAX and host memory\"); the torch peers run in the caller's environment."
           if report.get("jax_environment") else ""),
        "",
    ]
    if nade:
        c = nade[0]["config"]
        lines += [f"NADE n={c['n']}, d={c['d']}; data: {nade[0]['data']}; Adam 1e-3.", ""]
        peers = [p for p in (*versus, "torch_loop", "torch_cumsum", "tf_eager_loop") if any(p in r for r in nade)]
        lines += [*table(nade, peers), ""]
    if rnn:
        c = rnn[0]["config"]
        sampled = [r["config"]["length"] for r in rnn if r["task"] == "sample"]
        lines += [
            f"CharRNN GRU {c['layers']}x{c['units']}, embedding {c['embedding']}, vocabulary "
            f"{c['vocab']}; training and log_prob on windows of {c['length']} characters "
            f"({rnn[0]['data']})"
            + (f"; sampling {sampled[0]} characters per sequence." if sampled else "."),
            "",
        ]
        lines += [*table(rnn, [*versus, "torch_gru"]), ""]
    mlp = [r for r in rows if r["model"] in ("MADE", "DeepNADE")]
    if mlp:
        c = mlp[0]["config"]
        lines += [
            (f"MADE (1 mask, natural ordering) and DeepNADE (order-agnostic training step), "
             f"hidden {'x'.join(map(str, c['hidden']))} ReLU, n={c['n']}; data: {mlp[0]['data']}; "
             "Adam 1e-3; keras-ar compiled with its default `jit_compile=\"auto\"`."),
            "",
        ]
        peers = [p for p in (*versus, "torch_made", "torch_deep_nade", "keras_ar_no_xla") if any(p in r for r in mlp)]
        lines += [*table(mlp, peers), ""]
    if versus:
        lines += [*backend_summary(report, rows, versus[0]), ""]
    lines += ["Warm-up (s, first run incl. tracing/compilation):", ""]
    for r in rows:
        warm = ", ".join(f"{NAMES[k]} {r[k]['warm_up_seconds']}" for k in NAMES if k in r)
        lines.append(f"- {r['model']} {r['activation']} b{r['batch']} {r['task']}: {warm}")
    return "\n".join(lines) + "\n"


def backend_summary(report, rows, versus):
    """How many cells keras-ar on `--backend` is within 1.25x of itself on `--versus` or
    faster (ratio >= 0.8), and the others."""
    ratios = [(r, r[f"ratio_vs_{versus}"]) for r in rows if f"ratio_vs_{versus}" in r]
    behind = [f"{r['model']} {r['task']} {r['activation']} b{r['batch']} {ratio:.2f}x"
              for r, ratio in ratios if ratio < 0.8]
    return [f"keras-ar on {report['backend']} / on {report['versus']}: within 1.25x or faster "
            f"(ratio >= 0.80) in {len(ratios) - len(behind)} of {len(ratios)} cells"
            + (f"; behind: {', '.join(behind)}." if behind else ".")]

"""The export latency benchmark's markdown report and goal check (from its JSON data)."""

TARGET_STEP_US = 20.0
TARGET_SAMPLE_MS = 20.0


def human(size):
    return f"{size / 1024:.1f} KB" if size < 1 << 20 else f"{size / (1 << 20):.2f} MB"


def to_markdown(data):
    lines = ["# Export latency", ""]
    env = data["environment"]
    lines.append(f"- date: {env['date']}")
    lines.append(f"- machine: {env['machine']}")
    lines.append(
        f"- load average (1 min) before / after: {data['load_before']} / {data['load_after']}"
        " (the machine is shared; other jobs ran during the measurement)"
    )
    versions = {k: v for k, v in env.items() if k not in ("date", "machine")}
    versions.update(data["export_versions"])
    lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines.append(f"- command: `{data['command']}`")
    lines.append(
        "- batch 1, 1 thread (LiteRT `num_threads=1`, ORT intra-op 1); independent random "
        "normal weights (NADE std 0.05, CharRNN std 0.1); "
        "per-step times are per call inside a real sampling loop (outputs fed back), "
        "including the Python call overhead of each API. "
        "'SignatureRunner loop' = the reference runner's `sample` (numpy glue per step); "
        "'preallocated invoke' = set/invoke/get on the step subgraph without the runner's "
        "per-call resize + allocate (what an app with preallocated buffers does)."
    )
    lines.append("")
    for model in data["models"]:
        lines.append(f"## {model['label']}")
        lines.append("")
        lines.append("| runtime | step median (us) | step min (us) | step p90 (us) |")
        lines.append("|---|---|---|---|")
        for name, s in model["step"].items():
            lines.append(
                f"| {name} | {s['median_us']:.1f} | {s['min_us']:.1f} | {s['p90_us']:.1f} |"
            )
        lines.append("")
        lines.append(
            f"| full sample ({model['steps_per_sample']} steps) | median (ms) | min (ms) |"
        )
        lines.append("|---|---|---|")
        for name, s in model["sample"].items():
            lines.append(f"| {name} | {s['median_ms']:.2f} | {s['min_ms']:.2f} |")
        lines.append("")
        lines.append("| artifact | size |")
        lines.append("|---|---|")
        for name, size in model["sizes_bytes"].items():
            lines.append(f"| {name} | {human(size)} |")
        lines.append("")
        lines.append(f"NLL change on 16 model samples (Keras NLL {model['keras_nll']:.4f} nats):")
        lines.append("")
        lines.append("| file | log_prob rel. change vs Keras | step-path rel. change vs fp32 |")
        lines.append("|---|---|---|")
        for name, values in model["nll_report"].items():
            step = values.get("step_relative_change")
            lines.append(
                f"| {name} | {100 * values['relative_change']:.5f}% | "
                + ("-" if step is None else f"{100 * step:.5f}%")
                + " |"
            )
        lines.append("")
    lines.append("## Goal check")
    lines.append("")
    for line in data["goal"]:
        lines.append(f"- {line}")
    lines.append("")
    return "\n".join(lines)


def goal_lines(models):
    nade = models[0]
    lines = []
    for key in ("LiteRT preallocated invoke fp32", "LiteRT SignatureRunner fp32"):
        value = nade["step"][key]["median_us"]
        verdict = "meets" if value < TARGET_STEP_US else "misses"
        lines.append(
            f"NADE-784/500 {key} step: {value:.1f} us median "
            f"({verdict} the < {TARGET_STEP_US:.0f} us goal)"
        )
    for key in (
        "LiteRT fused `sample` fp32",
        "LiteRT preallocated invoke loop fp32",
        "LiteRT SignatureRunner loop fp32",
    ):
        value = nade["sample"][key]["median_ms"]
        verdict = "meets" if value < TARGET_SAMPLE_MS else "misses"
        lines.append(
            f"NADE-784/500 full sample, {key}: {value:.2f} ms median "
            f"({verdict} the < {TARGET_SAMPLE_MS:.0f} ms goal)"
        )
    return lines

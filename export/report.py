"""The export report: the size of every artifact, and the report as text."""

import os


def _directory_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(path)
        for name in names
    )


def artifact_sizes(work, files):
    """Bytes of every exported artifact in `work`, keyed as in the manifest's `files`."""
    sizes = {}
    for key, value in files.items():
        if isinstance(value, dict):
            sizes[key] = sum(_directory_bytes(os.path.join(work, v)) for v in value.values())
        else:
            sizes[key] = _directory_bytes(os.path.join(work, value))
    return sizes


def format_report(report):
    """The report as text: artifact sizes, then NLL per runtime."""
    lines = [f"Exported {report['model']} to {report['out_dir']} (batch {report['batch_size']})"]
    lines.append("")
    lines.append("| artifact | size |")
    lines.append("|---|---|")
    for key, size in report["sizes"].items():
        lines.append(f"| {key} | {_human(size)} |")
    lines.append("")
    lines.append(
        f"NLL on {report['evaluation_examples']} examples (nats): Keras {report['keras_nll']:.6f}"
    )
    lines.append(
        "| runtime | NLL (log_prob) | change vs Keras | relative | max abs log_prob diff "
        "| NLL (step path) | relative vs fp32 step |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for key, values in report["nll"].items():
        step = (
            f"{values['step_nll']:.6f} | {100 * values['step_relative_change']:.4f}%"
            if "step_nll" in values
            else "- | -"
        )
        lines.append(
            f"| {key} | {values['nll']:.6f} | {values['change']:+.3g} | "
            f"{100 * values['relative_change']:.4f}% | "
            f"{report['max_abs_log_prob_diff'][key]:.3g} | {step} |"
        )
    for warning in report.get("warnings", []):
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def _human(size):
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024.0

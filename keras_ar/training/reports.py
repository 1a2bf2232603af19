"""The results of a run: the dict written to results.json, and its lines of text."""

import math

from keras_ar.environment import environment


def run_results(config, data, model, history, session_seconds, stopped_by_time_limit, splits):
    """results.json: config, data, model size, epochs and times, one entry per split
    (`splits`: {name: evaluate_model result}), and the environment."""
    best = min(history, key=lambda r: r.get("val_nll", math.inf), default={})
    results = {
        "config": config.to_dict(),
        "data": data.describe(),
        "model": f"{type(model).__name__} ({model.count_params()} parameters)",
        "epochs_run": len(history),
        "best_epoch": best.get("epoch"),
        "stopped_by_time_limit": bool(stopped_by_time_limit),
        "train_seconds_this_session": round(session_seconds, 1),
        "train_seconds_total": history[-1]["elapsed_seconds"] if history else None,
        "train_seconds_sum_of_epochs": round(sum(r["epoch_seconds"] for r in history), 1),
    }
    results.update(splits)
    results["environment"] = environment()
    return results


def format_split(result):
    """One line: nats/char for text, else nats and bits/dim (and pixel space)."""
    if "nats_per_char" in result:
        return (f"{result['split']}: {result['nats_per_char']:.4f} nats/char "
                f"({result['bits_per_char']:.4f} bits/char, {result['characters']} characters)")
    line = (f"{result['split']}: nll {result['nll_nats']:.3f} nats, "
            f"{result['bits_per_dim']:.4f} bits/dim ({result['examples']} examples)")
    if "nll_nats_pixel_space" in result:
        line += (f"; pixel space [0,256): {result['nll_nats_pixel_space']:.2f} nats, "
                 f"{result['bits_per_dim_pixel_space']:.4f} bits/dim")
    return line


def format_ensemble(result):
    """Member lines, then the mixture's line."""
    lines = [f"  {m['run']}: nll {m['nll_nats']:.3f} nats, weight {w:.3f}"
             for m, w in zip(result["members"], result["weights"])]
    fitted = result["weights_fitted_on"]
    lines.append("ensemble (log sum_k w_k p_k(x)"
                 + (f", weights fitted on {fitted}" if fitted else "") + "):")
    lines.append(format_split(result))
    return "\n".join(lines)

"""keras-ar train / evaluate / sample from the command line (images and text, recipe
files, errors), and evaluation: ensembles of orderings (uniform and fitted mixture
weights) and a run that is still training."""

import json

import numpy as np
import pytest

from keras_ar import cli
from keras_ar.training import train

from training_helpers import TINY


def test_cli_train_evaluate_sample_images(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main([
        "train", "nade", "--data", "digits", "--hidden-units", "8", "--epochs", "1",
        "--max-train-examples", "256", "--batch-size", "64", "--out", str(out), "--quiet",
        "--json", str(tmp_path / "results.json"), "--split", "test",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "valid: nll" in printed and "test: nll" in printed
    assert json.loads((tmp_path / "results.json").read_text())["test"]["split"] == "test"

    assert cli.main(["evaluate", str(out), "--split", "valid", "--json", str(tmp_path / "e.json")]) == 0
    printed = capsys.readouterr().out
    assert "nats" in printed and "bits/dim" in printed
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["bits_per_dim"] == pytest.approx(result["nll_nats"] / (64 * np.log(2)))

    png = tmp_path / "samples.png"
    assert cli.main(["sample", str(out), "--out", str(png), "--num-samples", "8"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_char_rnn_on_names_samples_text(tmp_path, capsys):
    out = tmp_path / "rnn"
    code = cli.main([
        "train", "char_rnn", "--data", "embedded_names", "--hidden-units", "8",
        "--num-layers", "1", "--epochs", "1", "--batch-size", "32", "--out", str(out), "--quiet",
    ])
    assert code == 0
    assert "nats/char" in capsys.readouterr().out
    text = tmp_path / "names.txt"
    assert cli.main(["sample", str(out), "--out", str(text), "--num-samples", "5",
                     "--length", "12"]) == 0
    assert len(text.read_text().splitlines()) == 5
    assert cli.main(["evaluate", str(out)]) == 0
    assert "nats/char" in capsys.readouterr().out


def test_recipe_file_and_overrides(tmp_path):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"name": "tiny", "target": "x", **TINY, "epochs": 5}))
    out = tmp_path / "run"
    assert cli.main(["train", "categorical_nade", "--recipe", str(recipe), "--epochs", "1",
                     "--out", str(out), "--quiet", "--data-option", "num_levels=3"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "categorical_nade"
    assert config["epochs"] == 1 and config["data_options"] == {"num_levels": 3}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "nade", "--data", "names"], "cannot be trained"),
        (["train", "nope", "--data", "digits"], "Unknown model"),
        (["train", "nade", "--data", "digits", "--epochs", "0"], "epochs must be"),
    ],
)
def test_cli_errors(tmp_path, capsys, argv, message):
    assert cli.main(argv + ["--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err


def test_ensemble_of_orderings_log_mean_exp(tmp_path, capsys):
    runs = []
    for seed in (1, 2):
        out = tmp_path / f"order{seed}"
        train(dict(TINY, ordering_seed=seed), out, verbose=0)
        runs.append(str(out))
    assert cli.main(["evaluate", *runs, "--json", str(tmp_path / "ens.json")]) == 0
    assert "ensemble" in capsys.readouterr().out
    result = json.loads((tmp_path / "ens.json").read_text())
    members = [m["nll_nats"] for m in result["members"]]
    # Jensen: the mixture is never worse than the mean member
    assert result["nll_nats"] <= np.mean(members) + 1e-6
    # and it is exactly -mean_n log((p_1(x_n) + p_2(x_n)) / 2), recomputed here per example
    from keras_ar.training import PreparedData, load_run

    per_example = []
    for run in runs:
        model, config = load_run(run)
        x = PreparedData(config).load("valid")
        per_example.append(np.asarray(model.log_prob(x), "float64"))
    per_example = np.stack(per_example)
    expected = -np.mean(np.logaddexp(per_example[0], per_example[1]) - np.log(2))
    assert result["nll_nats"] == pytest.approx(expected, abs=1e-3)
    # per example it lies between the better member and the better member - log 2
    assert np.mean(per_example.max(0)) - np.log(2) <= -result["nll_nats"] + 1e-6


def test_fit_mixture_weights_finds_the_likelihood_maximum():
    from keras_ar.training import fit_mixture_weights

    rng = np.random.RandomState(0)
    good = -rng.gamma(5.0, 2.0, size=2000)
    members = np.stack([good, good - np.abs(rng.normal(0, 3, 2000)), good - 50.0])
    weights = fit_mixture_weights(members)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[2] < 1e-6  # a member 50 nats worse everywhere gets no weight

    def objective(w):
        joint = members + np.log(np.maximum(w, 1e-300))[:, None]
        top = joint.max(0)
        return np.mean(top + np.log(np.exp(joint - top).sum(0)))

    grid = max(objective(np.array([a, 1 - a, 0.0])) for a in np.linspace(0, 1, 1001))
    assert objective(weights) >= grid - 1e-6
    assert objective(weights) > objective(np.full(3, 1 / 3))


def test_ensemble_weights_fit_on_valid_and_errors(tmp_path, capsys):
    runs = []
    for seed in (1, 2):
        out = tmp_path / f"order{seed}"
        train(dict(TINY, ordering_seed=seed, epochs=1 + seed), out, verbose=0)
        runs.append(str(out))
    assert cli.main(["evaluate", *runs, "--weights", "fit", "--json", str(tmp_path / "e.json")]) == 0
    fitted = json.loads((tmp_path / "e.json").read_text())
    assert fitted["weights_fitted_on"] == "valid"
    assert sum(fitted["weights"]) == pytest.approx(1.0)
    assert cli.main(["evaluate", *runs, "--json", str(tmp_path / "u.json")]) == 0
    uniform = json.loads((tmp_path / "u.json").read_text())
    assert uniform["weights"] == [0.5, 0.5]
    # fitted on valid, so on valid it can only do better than uniform
    assert fitted["nll_nats"] <= uniform["nll_nats"] + 1e-6
    assert cli.main(["evaluate", *runs, "--weights", "0.9,0.1", "--json", str(tmp_path / "w.json")]) == 0
    assert json.loads((tmp_path / "w.json").read_text())["weights"] == pytest.approx([0.9, 0.1])
    capsys.readouterr()
    for bad in ("0.5", "a,b", "-1,2", "best"):
        assert cli.main(["evaluate", *runs, f"--weights={bad}"]) != 0
        assert "weights" in capsys.readouterr().err


def test_evaluate_a_run_that_is_still_training(tmp_path):
    out = tmp_path / "run"
    finished = train(TINY, out, verbose=0)
    (out / "best.keras").unlink()  # as during training: config + best weights so far
    from keras_ar.training import evaluate

    result = evaluate(str(out), split="valid")
    assert result["nll_nats"] == pytest.approx(finished["valid"]["nll_nats"], rel=1e-5)
    (out / "best.weights.h5").unlink()
    with pytest.raises(FileNotFoundError, match="No model at"):
        evaluate(str(out), split="valid")

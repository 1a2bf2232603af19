"""The standard contract runs of the Android app's loop, and the tiny models behind them.

`image_runs` / `text_runs` sample an exported model with `app_loop.AppLoop` (as the app
does) and with Keras for the same noise, recording every signature call; `write_trace`
saves them as the trace that the Kotlin `ContractCheck` replays. `tiny_nade` and
`tiny_char_rnn` are the small random models of tests/test_android_contract.py and
make_fixtures.py.
"""

import json
import os

import numpy as np

from keras_ar import files
from keras_ar.testing import randomize_weights

from app_loop import TRACE, TRACE_FORMAT, AppLoop, Uniforms, flat_list


def _keras_sample(model, noise, temperature, given=None, observed=None, length=None):
    from keras import ops

    values = model.sample(
        1,
        noise=noise[None],
        temperature=temperature,
        given=None if given is None else np.asarray(given, "float32")[None],
        observed=None if observed is None else np.asarray(observed, bool)[None],
        length=length,
    )
    return np.asarray(ops.convert_to_numpy(values))[0]


def image_runs(model, directory, seed=0):
    """Unconditional and top-half-conditional samples of an exported image model, by the
    app loop (host sampling at T=1 and in-graph sampling at T=0.8) and by Keras."""
    rng = np.random.default_rng(seed)
    n = model.input_dim
    k = model.distribution.noise_size
    height = model.image_shape[0] if model.image_shape is not None else 2
    observed = np.arange(n) // (n // height) < height // 2  # the top half (Presets.topHalfMask)
    given = np.where(observed, rng.integers(0, 2, size=n), 0).astype("float32")
    runs = []
    for name, cond, temperature, host in (
        ("sample_host_t1", False, 1.0, True),
        ("sample_graph_t0.8", False, 0.8, False),
        ("complete_top_half_host_t1", True, 1.0, True),
        ("complete_top_half_graph_t0.8", True, 0.8, False),
    ):
        noise = rng.random((n, k)).astype("float32")
        loop = AppLoop(directory)
        app = loop.sample_image(
            Uniforms(noise),
            given=given if cond else None,
            observed=observed if cond else None,
            temperature=temperature,
            host_sampling=host,
            initial_noise=0.0,
        )
        expected = _keras_sample(
            model, noise, temperature, given if cond else None, observed if cond else None
        )
        runs.append(
            {
                "name": name,
                "type": "image",
                "temperature": temperature,
                "host_sampling": host,
                "initial_noise": 0.0,
                "uniforms": flat_list(noise),
                "given": flat_list(given) if cond else None,
                "observed": observed.tolist() if cond else None,
                "calls": loop.calls,
                "app": flat_list(app),
                "expected": flat_list(expected.astype("float32")),
            }
        )
    return runs


def text_runs(model, directory, prompt, max_new_tokens=40):
    """Prompt continuations of an exported CharRNN by the app loop and by Keras.

    Keras samples `len(prompt) + max_new_tokens` positions with the prompt observed; the
    app's continuation is Keras' sample after the prompt up to (not including) the first
    boundary id, and it must stop there (or after `max_new_tokens`).
    """
    prompt = [int(t) for t in prompt]
    boundary = model.vocabulary.boundary_id if model.vocabulary is not None else 0
    runs = []
    for name, temperature, host, run_prompt, limit, seed in (
        ("prompt_host_t1", 1.0, True, prompt, max_new_tokens, 6),
        ("no_prompt_graph_t0.8", 0.8, False, [], max_new_tokens, 1),
        ("prompt_graph_t0.8_limit3", 0.8, False, prompt, 3, 6),
    ):
        rng = np.random.default_rng(seed)
        p = len(run_prompt)
        length = p + limit
        noise = rng.random((length, 1)).astype("float32")
        loop = AppLoop(directory)
        tokens, ended = loop.generate_text(
            Uniforms(noise), run_prompt, limit, temperature, host, initial_noise=0.0
        )
        given = np.zeros((length,), "float32")
        given[:p] = run_prompt
        observed = np.arange(length) < p
        full = _keras_sample(
            model, noise, temperature, given if p else None, observed if p else None, length
        ).astype("int64")
        continuation = full[p:].tolist()
        expected_ended = boundary in continuation
        if expected_ended:
            continuation = continuation[: continuation.index(boundary)]
        runs.append(
            {
                "name": name,
                "type": "text",
                "temperature": temperature,
                "host_sampling": host,
                "initial_noise": 0.0,
                "uniforms": flat_list(noise),
                "prompt": run_prompt,
                "max_new_tokens": limit,
                "calls": loop.calls,
                "app": {"tokens": tokens, "ended_on_boundary": ended},
                "expected": {"tokens": continuation, "ended_on_boundary": expected_ended},
                "keras_full": full.tolist(),
            }
        )
    return runs


def write_trace(directory, runs, path=None):
    """Writes the runs as `app_trace.json` (compact) for the Kotlin ContractCheck."""
    path = path or os.path.join(os.fspath(directory), TRACE)
    files.write_text(path, json.dumps({"format": TRACE_FORMAT, "runs": runs}, separators=(",", ":")) + "\n")
    return path


# --- the tiny models of the contract test and the fixtures --------------------------------
NADE_SHAPE = (4, 4)
NAMES_TEXT = ["anna", "bob", "cléo", "dan", "eve"]  # "é": a non-ASCII token (\\u00e9 in JSON)


def nade_ordering():
    """Top half first (so "complete the top half" is an exact conditional), each half
    permuted, so a runtime that ignores `ordering` fails."""
    rng = np.random.default_rng(7)
    n = NADE_SHAPE[0] * NADE_SHAPE[1]
    half = n // 2
    return [int(i) for i in rng.permutation(half)] + [int(i) for i in half + rng.permutation(half)]


def tiny_nade(seed=0):
    """NADE on a 4x4 binary image, random weights (non-zero hidden bias)."""
    import keras_ar as ka

    model = ka.NADE(16, hidden_units=8, image_shape=NADE_SHAPE, ordering=nade_ordering())
    return randomize_weights(model, seed)


def tiny_char_rnn(seed=0):
    """Two-layer GRU CharRNN over the characters of NAMES_TEXT, random weights."""
    import keras_ar as ka

    vocabulary = ka.Vocabulary.from_text(NAMES_TEXT)
    model = ka.CharRNN(vocabulary=vocabulary, units=8, num_layers=2)
    return randomize_weights(model, seed, scale=0.7)

"""A reference runner of exported models, without Keras: LiteRT or ONNX Runtime + numpy.

It is driven only by manifest.json and runs the same step loop as the Android app
(docs/manifest.md), so tests can check that loop against `model.sample`.

Example:
    runner = load("exports/nade", backend="litert")
    image = runner.sample(np.random.rand(784, 1))        # (784,) in data order
    nll = -runner.log_prob(images).mean()
"""

import os

import numpy as np

from keras_ar.export.errors import ManifestError
from keras_ar.export.manifest import read_manifest
from keras_ar.export.quantization import quantization
from keras_ar.host_heads import discretized_logistic_probs

BACKENDS = ("litert", "onnx")


class _LiteRTBackend:
    def __init__(self, path, num_threads=1):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        self.runners = {}

    def signatures(self):
        return list(self.interpreter.get_signature_list())

    def run(self, name, feeds):
        runner = self.runners.get(name)
        if runner is None:
            runner = self.runners[name] = self.interpreter.get_signature_runner(name)
        return runner(**feeds)


class _OnnxBackend:
    def __init__(self, paths, num_threads=1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        self.sessions = {
            name: ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            for name, path in paths.items()
        }

    def signatures(self):
        return list(self.sessions)

    def run(self, name, feeds):
        session = self.sessions[name]
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, feeds)))


def load(directory, backend="litert", variant=None, num_threads=1):
    """A `Runner` over an export directory.

    Args:
        directory: output of `export_model` (holds manifest.json).
        backend: "litert" (the `.tflite`) or "onnx" (the `.onnx` files).
        variant: LiteRT only: None/"float32", "float16" or "int8" (quantized files).
        num_threads: interpreter / session threads.
    """
    manifest = read_manifest(directory)
    files = manifest["files"]
    if backend == "litert":
        key = quantization(variant).files_key
        if key not in files:
            raise ManifestError(
                f"{directory} has no {key!r} file (variant={variant!r}); exported files: "
                f"{sorted(files)}."
            )
        engine = _LiteRTBackend(os.path.join(directory, files[key]), num_threads)
    elif backend == "onnx":
        if "onnx" not in files:
            raise ManifestError(f"{directory} has no ONNX files; exported: {sorted(files)}.")
        paths = {name: os.path.join(directory, f) for name, f in files["onnx"].items()}
        engine = _OnnxBackend(paths, num_threads)
    else:
        raise ValueError(f"Unknown backend {backend!r}; use one of {BACKENDS}.")
    return Runner(manifest, engine, backend)


class Runner:
    """Runs the exported signatures the way an app does (numpy in, numpy out)."""

    def __init__(self, manifest, engine, backend):
        self.manifest = manifest
        self.engine = engine
        self.backend = backend
        self.model = manifest["model"]
        self.signatures = manifest["signatures"]
        self.state_names = [s["name"] for s in manifest["state"]]
        self.noise_size = int(manifest["noise"]["size"])
        step_inputs = {i["name"]: i for i in self.signatures["step"]["inputs"]}
        self.value_dtype = np.dtype(step_inputs["x_prev"]["dtype"])
        self.batch_size = int(step_inputs["x_prev"]["shape"][0])
        self.ordering = self.model["ordering"]
        vocabulary = self.model.get("vocabulary")
        self.boundary_id = vocabulary["boundary_id"] if vocabulary else 0
        self.has_sample_signature = "sample" in self.signatures and "sample" in engine.signatures()

    # --- the signatures, one call each ------------------------------------------------
    def run(self, name, **feeds):
        """Calls signature `name` with numpy inputs cast to the manifest's dtypes."""
        inputs = {}
        for info in self.signatures[name]["inputs"]:
            if info["name"] not in feeds:
                raise ValueError(f"Signature {name!r} needs input {info['name']!r}.")
            value = np.asarray(feeds[info["name"]], dtype=info["dtype"])
            inputs[info["name"]] = value.reshape(info["shape"])
        return self.engine.run(name, inputs)

    def initial_state(self, noise=None):
        """The state before the first step; `noise` `(B,)` picks a random initial state
        (MADE's mask; 0 = the first mask) and is ignored by the other models."""
        if noise is None:
            noise = np.zeros((self.batch_size,), "float32")
        out = self.run("initial_state", noise=np.reshape(noise, (self.batch_size,)))
        return {name: out[name] for name in self.state_names}

    def step(self, state, x_prev, noise, temperature=1.0):
        """One step: returns every output (`new_<state>`, `sample`, probabilities)."""
        feeds = dict(state)
        feeds.update(
            x_prev=np.reshape(x_prev, (self.batch_size,)),
            noise=np.reshape(noise, (self.batch_size, self.noise_size)),
            temperature=np.full((1,), temperature, "float32"),
        )
        return self.run("step", **feeds)

    def log_prob(self, x):
        """log p(x) `(N,)` through the `log_prob` signature (batches padded to B)."""
        info = self.signatures["log_prob"]["inputs"][0]
        width = int(np.prod(info["shape"][1:]))
        x = np.asarray(x)
        x = x.reshape(x.shape[0], -1)
        if self.model["input_dim"] is None:  # sequences: pad with -1 to the exported length
            if x.shape[1] > width:
                raise ValueError(f"Sequences longer than the exported length {width}.")
            x = np.pad(x, ((0, 0), (0, width - x.shape[1])), constant_values=-1)
        elif x.shape[1] != width:
            raise ValueError(f"Expected {width} values per example, got {x.shape[1]}.")
        results = [self.run("log_prob", x=chunk)["log_prob"][:rows]
                   for chunk, rows in self._batches(x)]
        return np.concatenate(results).astype("float32")

    def _batches(self, x):
        """(chunk, rows): `x` in batches of the exported size, the last one padded by
        repeating its last row (`rows` are real)."""
        for start in range(0, x.shape[0], self.batch_size):
            chunk = x[start : start + self.batch_size]
            rows = chunk.shape[0]
            if rows < self.batch_size:
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], self.batch_size - rows, 0)])
            yield chunk, rows

    def step_log_prob(self, x, eps=1e-7):
        """log p(x) `(N,)` through the `step` signature (teacher forcing, T = 1).

        This scores the path that sampling uses, which matters for quantized files: a
        dynamic-range int8 file may quantize the weights of `step` but not of `log_prob`.
        Probabilities are float32 outputs, clipped to [eps, 1 - eps] before the log.
        """
        x = np.asarray(x)
        x = x.reshape(x.shape[0], -1)
        image = self.model["input_dim"] is not None
        steps = x[:, self.ordering] if image else x
        totals = []
        for chunk, rows in self._batches(steps):
            state = self.initial_state()
            x_prev = np.full((self.batch_size,), 0, self.value_dtype)
            total = np.zeros((self.batch_size,), "float64")
            half = np.full((self.batch_size, self.noise_size), 0.5, "float32")
            for i in range(chunk.shape[1]):
                out = self.step(state, x_prev, half, 1.0)
                value = chunk[:, i]
                valid = value >= 0 if not image else np.ones(value.shape, bool)
                value = np.where(valid, value, 0).astype(self.value_dtype)
                total += np.where(valid, self._log_density(out, value, eps), 0.0)
                state = {name: out["new_" + name] for name in self.state_names}
                x_prev = value
            totals.append(total[:rows])
        return np.concatenate(totals)

    def _log_density(self, out, value, eps):
        distribution = self.model["distribution"]
        if distribution == "bernoulli":
            p = np.clip(out["probs"].astype("float64").reshape(-1), eps, 1.0 - eps)
            return np.where(value > 0.5, np.log(p), np.log1p(-p))
        if distribution == "categorical":
            probs = out["probs"].astype("float64").reshape(self.batch_size, -1)
            picked = probs[np.arange(self.batch_size), value.astype("int64")]
            return np.log(np.maximum(picked, eps))
        weights = out["mixture_weights"].astype("float64")
        means = out["means"].astype("float64")
        scales = out["scales"].astype("float64")
        if distribution == "discretized_logistic_mixture":
            return np.log(np.maximum(discretized_logistic_probs(
                weights, means, scales, value, self.model["num_categories"]), eps))
        z = (value.astype("float64")[:, None] - means) / scales
        density = weights * np.exp(-0.5 * z * z) / (scales * np.sqrt(2.0 * np.pi))
        return np.log(np.maximum(density.sum(axis=-1), 1e-300))

    # --- the step loop ----------------------------------------------------------------
    def sample(
        self,
        noise,
        given=None,
        observed=None,
        temperature=1.0,
        initial_noise=None,
        stop_at_boundary=False,
    ):
        """Ancestral sampling by `step` calls, as the app does it.

        Args:
            noise: uniforms `(length, noise_size)` (or `(B, length, noise_size)`).
            given, observed: optional values and booleans `(n,)` / `(B, n)` in data order
                (token positions for sequences); observed entries are kept.
            temperature: > 0.
            initial_noise: `(B,)` uniform for a random initial state (MADE masks).
            stop_at_boundary: sequences: stop after the boundary token.

        Returns:
            `(n,)` (or `(B, n)`) values in data order; token ids for sequences.
        """
        noise = self._check_noise(noise)
        single = noise.ndim == 2
        noise = noise.reshape(self.batch_size, -1, self.noise_size)
        length = noise.shape[1]
        image = self.model["input_dim"] is not None
        if image and length != self.model["input_dim"]:
            raise ValueError(f"noise must have {self.model['input_dim']} steps, got {length}.")
        if given is not None:
            given = np.broadcast_to(
                np.asarray(given, "float32").reshape(-1, length), (self.batch_size, length)
            )
            if observed is None:
                observed = ~np.isnan(given)
            observed = np.broadcast_to(np.asarray(observed, bool).reshape(-1, length), given.shape)
        state = self.initial_state(initial_noise)
        x_prev = np.full((self.batch_size,), self.boundary_id if not image else 0, self.value_dtype)
        values = np.zeros((self.batch_size, length), self.value_dtype)
        steps = length
        for i in range(length):
            out = self.step(state, x_prev, noise[:, i], temperature)
            position = self.ordering[i] if image else i
            value = np.asarray(out["sample"]).reshape(self.batch_size)
            if given is not None:
                value = np.where(observed[:, position], given[:, position], value)
            value = value.astype(self.value_dtype)
            values[:, position] = value
            state = {name: out["new_" + name] for name in self.state_names}
            x_prev = value
            if stop_at_boundary and not image and np.all(value == self.boundary_id):
                steps = i + 1
                break
        values = values[:, :steps]
        return values[0] if single else values

    def _check_noise(self, noise):
        noise = np.asarray(noise, "float32")
        if noise.ndim == 2 and self.batch_size == 1:
            return noise
        if (
            noise.ndim != 3
            or noise.shape[0] != self.batch_size
            or noise.shape[2] != self.noise_size
        ):
            raise ValueError(
                f"noise must have shape ({self.batch_size}, length, {self.noise_size})"
                + (" or (length, noise_size)" if self.batch_size == 1 else "")
                + f", got {noise.shape}."
            )
        return noise

    def sample_fused(self, noise, temperature=1.0, initial_noise=None):
        """The whole loop in one call of the `sample` signature (image models)."""
        if not self.has_sample_signature:
            raise ValueError(f"This {self.backend} export has no `sample` signature.")
        noise = self._check_noise(noise)
        single = noise.ndim == 2
        feeds = {"noise": noise, "temperature": np.full((1,), temperature, "float32")}
        names = [i["name"] for i in self.signatures["sample"]["inputs"]]
        if "initial_noise" in names:
            feeds["initial_noise"] = (
                np.zeros((self.batch_size,), "float32") if initial_noise is None else initial_noise
            )
        values = self.run("sample", **feeds)["sample"]
        return values[0] if single else values

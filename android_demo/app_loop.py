"""The Android app's sampling loop in Python, driven only by manifest.json and LiteRT.

`AppLoop` does what `core/` (StepSession, ImageSampleRun, TextGeneration) and the app's
`LiteRtStepModel` do, with `ai_edge_litert.interpreter.Interpreter` in place of the Java
Interpreter: signature names, tensor names, shapes and dtypes come from manifest.json
only; buffers are allocated once from the manifest; `initial_state` is called with its
`noise` input (0 unless `noise.initial_state`); two state buffer sets are swapped after
every step; the chosen value is fed back as `x_prev`; observed pixels / prompt ids replace
the drawn value; text stops at the boundary id.

Every signature call is recorded (inputs and outputs, flattened); app_traces.py turns
fixed sampling runs into the traces that the Kotlin `ContractCheck`
(core/src/test/kotlin/.../ContractCheck.kt) replays through the real core classes: the
Kotlin code must feed exactly the recorded inputs and produce Keras' sample.

Used by tests/test_android_contract.py, tests/test_android_assets.py and
android_demo/make_fixtures.py (through app_traces.py).
"""

import json
import os

import numpy as np

MANIFEST = "manifest.json"
TRACE = "app_trace.json"
TRACE_FORMAT = 1


class Uniforms:
    """Fixed uniforms consumed in order, wrapping around (Kotlin `FixedUniforms`)."""

    def __init__(self, values):
        self.values = np.asarray(values, "float32").reshape(-1)
        self.next = 0

    def take(self, n):
        out = np.empty((n,), "float32")
        for i in range(n):
            out[i] = self.values[self.next]
            self.next = (self.next + 1) % self.values.size
        return out


class AppLoop:
    """One exported model, run the way the app runs it (batch size 1)."""

    def __init__(self, directory, num_threads=1):
        from ai_edge_litert.interpreter import Interpreter

        self.directory = os.fspath(directory)
        with open(os.path.join(self.directory, MANIFEST), encoding="utf-8") as f:
            self.manifest = json.load(f)
        m = self.manifest
        self.model = m["model"]
        self.signatures = m["signatures"]
        self.interpreter = Interpreter(
            model_path=os.path.join(self.directory, m["files"]["tflite"]),
            num_threads=num_threads,
        )
        self.runners = {}
        self.state_names = [s["name"] for s in m["state"]]
        step_inputs = {i["name"]: i for i in self.signatures["step"]["inputs"]}
        initial_inputs = {i["name"]: i for i in self.signatures["initial_state"]["inputs"]}
        # preallocated buffers, as StepSession: two state sets, x_prev, noise, temperature
        self.state_sets = [{s["name"]: _alloc(s) for s in m["state"]} for _ in range(2)]
        self.x_prev = _alloc(step_inputs["x_prev"])
        self.noise = _alloc(step_inputs["noise"])
        self.temperature = _alloc(step_inputs["temperature"])
        self.initial_noise = _alloc(initial_inputs["noise"])
        self.outputs = {}
        self.current = 0
        self.calls = []
        vocabulary = self.model.get("vocabulary")
        self.boundary_id = vocabulary["boundary_id"] if vocabulary else None

    # --- the LiteRT side (LiteRtStepModel) --------------------------------------------
    def signature_problems(self):
        """Differences between the interpreter's signatures and the manifest's (names,
        shapes, dtypes of every input and output); empty when they agree."""
        problems = []
        available = self.interpreter.get_signature_list()
        for key in self.manifest["export"]["tflite_signatures"]:
            if key not in available:
                problems.append(f"{key}: not in the .tflite (has {sorted(available)})")
                continue
            runner = self.interpreter.get_signature_runner(key)
            for side, details in (
                ("inputs", runner.get_input_details()),
                ("outputs", runner.get_output_details()),
            ):
                declared = {t["name"]: t for t in self.signatures[key][side]}
                if set(details) != set(declared):
                    problems.append(
                        f"{key} {side}: tflite {sorted(details)} != manifest {sorted(declared)}"
                    )
                    continue
                for name, detail in details.items():
                    spec = declared[name]
                    shape = [int(s) for s in detail["shape"]]
                    dtype = np.dtype(detail["dtype"]).name
                    if shape != list(spec["shape"]) or dtype != spec["dtype"]:
                        problems.append(
                            f"{key} {side} {name}: tflite {dtype}{shape} != manifest "
                            f"{spec['dtype']}{spec['shape']}"
                        )
        return problems

    def _run(self, key, inputs, outputs):
        """runSignature(inputs, outputs, key): reads `inputs`, writes into `outputs` (by
        name, every output of the manifest); records the call."""
        runner = self.runners.get(key)
        if runner is None:
            runner = self.runners[key] = self.interpreter.get_signature_runner(key)
        declared = self.signatures[key]
        feeds = {spec["name"]: inputs[spec["name"]] for spec in declared["inputs"]}
        result = runner(**feeds)
        for spec in declared["outputs"]:
            np.copyto(outputs[spec["name"]], result[spec["name"]])
        self.calls.append(
            {
                "signature": key,
                "inputs": {k: flat_list(v) for k, v in feeds.items()},
                "outputs": {
                    spec["name"]: flat_list(outputs[spec["name"]]) for spec in declared["outputs"]
                },
            }
        )

    # --- StepSession ------------------------------------------------------------------
    def reset(self, initial_noise=0.0):
        self.initial_noise.fill(initial_noise)
        self._run("initial_state", {"noise": self.initial_noise}, self.state_sets[0])
        self.current = 0

    def start(self, uniforms, initial_noise=None):
        if initial_noise is None:
            random_start = self.manifest["noise"].get("initial_state", False)
            initial_noise = float(uniforms.take(1)[0]) if random_start else 0.0
        self.reset(initial_noise)

    def state(self):
        return self.state_sets[self.current]

    def step(self, previous, uniforms, temperature=1.0, host_sampling=False):
        """One step with `previous` as x_prev; returns the value for this position."""
        self.x_prev.flat[0] = np.round(previous) if self.x_prev.dtype.kind == "i" else previous
        u = uniforms.take(self.noise.size)
        self.noise.flat[:] = u
        self.temperature.flat[0] = 1.0 if host_sampling else temperature
        read, write = self.state_sets[self.current], self.state_sets[1 - self.current]
        inputs = {"x_prev": self.x_prev, "noise": self.noise, "temperature": self.temperature}
        inputs.update(read)
        outputs = {}
        for spec in self.signatures["step"]["outputs"]:
            name = spec["name"]
            if name.startswith("new_") and name[4:] in write:
                outputs[name] = write[name[4:]]
            else:
                if name not in self.outputs:
                    self.outputs[name] = _alloc(spec)
                outputs[name] = self.outputs[name]
        self._run("step", inputs, outputs)
        self.current = 1 - self.current
        if host_sampling:
            if temperature != 1.0:
                raise NotImplementedError("host sampling is emulated at temperature 1 only")
            return self._host_sample(u)
        return float(self.outputs["sample"].flat[0])

    def _host_sample(self, u):
        """HeadSampler at temperature 1, no top-k (docs/contract.md, noise convention)."""
        distribution = self.model["distribution"]
        if distribution == "bernoulli":
            return 1.0 if u[0] < self.outputs["probs"].flat[0] else 0.0
        if distribution == "categorical":
            cumulative = np.cumsum(self.outputs["probs"].reshape(-1).astype("float32"))
            below = int(np.sum(cumulative <= u[0]))
            return float(min(below, cumulative.size - 1))
        raise NotImplementedError(f"host sampling of {distribution}")

    # --- ImageSampleRun / TextGeneration ----------------------------------------------
    def sample_image(
        self,
        uniforms,
        given=None,
        observed=None,
        temperature=1.0,
        host_sampling=False,
        initial_noise=None,
    ):
        """One image, `(input_dim,)` in data order (ImageSampleRun.runToEnd)."""
        n = self.model["input_dim"]
        ordering = self.model["ordering"]
        values = np.zeros((n,), "float32")
        self.start(uniforms, initial_noise)
        previous = 0.0
        for i in range(n):
            dimension = ordering[i] if ordering is not None else i
            drawn = self.step(previous, uniforms, temperature, host_sampling)
            value = (
                float(given[dimension]) if observed is not None and observed[dimension] else drawn
            )
            values[dimension] = value
            previous = value
        return values

    def generate_text(
        self,
        uniforms,
        prompt=(),
        max_new_tokens=200,
        temperature=1.0,
        host_sampling=False,
        initial_noise=None,
    ):
        """(generated ids, ended on the boundary id) (TextGeneration.runToEnd)."""
        self.start(uniforms, initial_noise)
        if max_new_tokens == 0:
            return [], False
        previous = self.boundary_id
        for token in prompt:
            self.step(previous, uniforms, temperature, host_sampling)
            previous = int(token)
        generated = []
        while len(generated) < max_new_tokens:
            token = round(self.step(previous, uniforms, temperature, host_sampling))
            if token == self.boundary_id:
                return generated, True
            generated.append(token)
            previous = token
        return generated, False


def _alloc(spec):
    return np.zeros(spec["shape"], spec["dtype"])


def flat_list(array):
    """An array as a flat Python list (how the trace records tensors)."""
    return np.asarray(array).reshape(-1).tolist()

"""What a valid manifest.json holds (docs/manifest.md, format_version 1), and
`validate_manifest`, which checks a manifest against it: a missing key, a wrong type, an
unknown distribution or dtype, a signature a runtime needs, a listed file that is not
there or whose size differs from its checksum entry: each raises a `ManifestError` that
names the problem."""

import os

from keras_ar.export.errors import ManifestError

FORMAT_VERSION = 1
FILENAME = "manifest.json"
DISTRIBUTIONS = ("bernoulli", "categorical", "mixture_of_gaussians", "discretized_logistic_mixture")
MIXTURES = ("mixture_of_gaussians", "discretized_logistic_mixture")
DTYPES = ("float32", "int32")
REQUIRED_SIGNATURES = ("initial_state", "step", "log_prob")

# docs/contract.md, "Noise convention"; the names are stable identifiers for runtimes
NOISE_CONVENTIONS = {
    "bernoulli": "inverse_cdf",  # sample = 1 if u[0] < sigmoid(logits / T) else 0
    "categorical": "inverse_cdf",  # sample = #{k : cumsum(softmax(logits / T))_k <= u[0]}
    "mixture_of_gaussians": "inverse_cdf_box_muller",  # component by u[0]; z from u[1], u[2]
    # component by u[0]; value = clip(floor(mu + T s (log u[1] - log(1 - u[1])) + 1/2), 0, K-1)
    "discretized_logistic_mixture": "inverse_cdf_logistic",
}


def _fail(message):
    raise ManifestError(f"Invalid manifest: {message}")


def _require(mapping, key, types, where):
    if not isinstance(mapping, dict) or key not in mapping:
        _fail(f"missing `{key}` in {where}.")
    value = mapping[key]
    if not isinstance(value, types) or isinstance(value, bool) and bool not in _tuple(types):
        _fail(f"`{where}.{key}` has the wrong type ({type(value).__name__}).")
    return value


def _tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _check_tensors(tensors, where):
    if not isinstance(tensors, list):
        _fail(f"`{where}` must be a list of tensors.")
    names = []
    for index, tensor in enumerate(tensors):
        label = f"{where}[{index}]"
        name = _require(tensor, "name", str, label)
        dtype = _require(tensor, "dtype", str, label)
        shape = _require(tensor, "shape", list, label)
        if dtype not in DTYPES:
            _fail(f"`{label}.dtype` is {dtype!r}; expected one of {DTYPES}.")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
            _fail(f"`{label}.shape` must be positive integers, got {shape}.")
        names.append(name)
    if len(set(names)) != len(names):
        _fail(f"duplicate tensor names in `{where}`: {names}.")
    return names


def validate_manifest(manifest, directory=None):
    """Checks the structure (and, given `directory`, that listed files exist and match)."""
    if not isinstance(manifest, dict):
        _fail("the top level must be a JSON object.")
    version = _require(manifest, "format_version", int, "manifest")
    if version != FORMAT_VERSION:
        _fail(f"format_version {version} is not supported (this reader knows {FORMAT_VERSION}).")
    model = _require(manifest, "model", dict, "manifest")
    _require(model, "kind", str, "model")
    distribution = _require(model, "distribution", str, "model")
    if distribution not in DISTRIBUTIONS:
        _fail(f"unknown distribution {distribution!r}; expected one of {DISTRIBUTIONS}.")
    input_dim = model.get("input_dim")
    if input_dim is not None:
        if not isinstance(input_dim, int) or input_dim < 1:
            _fail(f"`model.input_dim` must be a positive integer or null, got {input_dim!r}.")
        ordering = model.get("ordering")
        if not isinstance(ordering, list) or sorted(ordering) != list(range(input_dim)):
            _fail("`model.ordering` must be a permutation of range(input_dim).")
        shape = model.get("image_shape")
        if shape is not None:
            size = 1
            for s in shape:
                size *= s
            if size != input_dim:
                _fail(f"`model.image_shape` {shape} does not have input_dim={input_dim} pixels.")
    if distribution in ("categorical", "discretized_logistic_mixture"):
        _require(model, "num_categories", int, "model")
    if distribution in MIXTURES:
        _require(model, "num_components", int, "model")
    vocabulary = model.get("vocabulary")
    if vocabulary is not None:
        tokens = _require(vocabulary, "tokens", list, "model.vocabulary")
        boundary = _require(vocabulary, "boundary_id", int, "model.vocabulary")
        if not 0 <= boundary < len(tokens):
            _fail("`model.vocabulary.boundary_id` is not a token id.")

    noise = _require(manifest, "noise", dict, "manifest")
    size = _require(noise, "size", int, "noise")
    if size < 1:
        _fail("`noise.size` must be >= 1.")
    _require(noise, "convention", str, "noise")

    state_names = _check_tensors(_require(manifest, "state", list, "manifest"), "state")
    signatures = _require(manifest, "signatures", dict, "manifest")
    for name in REQUIRED_SIGNATURES:
        if name not in signatures:
            _fail(f"signature `{name}` is missing.")
    io = {}
    for name, signature in signatures.items():
        inputs = _check_tensors(
            _require(signature, "inputs", list, f"signatures.{name}"), f"signatures.{name}.inputs"
        )
        outputs = _check_tensors(
            _require(signature, "outputs", list, f"signatures.{name}"),
            f"signatures.{name}.outputs",
        )
        io[name] = (inputs, outputs)
    expected_inputs = state_names + ["x_prev", "noise", "temperature"]
    if io["step"][0] != expected_inputs:
        _fail(f"`step` inputs are {io['step'][0]}, expected {expected_inputs}.")
    missing = [f"new_{n}" for n in state_names if f"new_{n}" not in io["step"][1]]
    if "sample" not in io["step"][1]:
        missing.append("sample")
    if missing:
        _fail(f"`step` outputs lack {missing}.")
    if sorted(io["initial_state"][1]) != sorted(state_names):
        _fail("`initial_state` outputs differ from `state`.")
    if io["initial_state"][0] != ["noise"]:
        _fail(f"`initial_state` inputs are {io['initial_state'][0]}, expected ['noise'].")

    files = _require(manifest, "files", dict, "manifest")
    if directory is not None:
        _check_files(files, manifest.get("checksums"), directory)
    return manifest


def listed_files(files):
    """Relative paths named in the `files` section (directories included)."""
    paths = []
    for key, value in files.items():
        if isinstance(value, dict):
            paths.extend(str(v) for v in value.values())
        elif isinstance(value, str):
            paths.append(value)
        else:
            _fail(f"`files.{key}` must be a path or a mapping of paths.")
    return paths


def _check_files(files, checksums, directory):
    for rel in listed_files(files):
        if not os.path.exists(os.path.join(directory, rel)):
            _fail(f"the listed file {rel!r} does not exist in {directory}.")
    if checksums is None:
        return
    if not isinstance(checksums, dict):
        _fail("`checksums` must be an object.")
    for rel, info in checksums.items():
        path = os.path.join(directory, rel)
        if not os.path.isfile(path):
            _fail(f"the file {rel!r} listed in `checksums` is missing from {directory}.")
        expected = info.get("bytes") if isinstance(info, dict) else None
        if expected is not None and os.path.getsize(path) != expected:
            _fail(
                f"{rel!r} has {os.path.getsize(path)} bytes, the manifest says {expected} "
                "(truncated or replaced file?)."
            )

package com.kerasar.demo.core

/** Head of the model: how `probs` / mixture outputs of the step signature are sampled. */
enum class Distribution(val manifestName: String) {
    BERNOULLI("bernoulli"),
    CATEGORICAL("categorical"),
    MIXTURE_OF_GAUSSIANS("mixture_of_gaussians");

    companion object {
        fun fromManifest(name: String): Distribution =
            values().firstOrNull { it.manifestName == name }
                ?: throw ManifestException("unsupported distribution '$name'")
    }
}

/** The `model` section of manifest.json. */
class ModelInfo(
    val kind: String,
    val inputDim: Int?,
    val imageShape: IntArray?,
    val ordering: IntArray?,
    val distribution: Distribution,
    val numCategories: Int?,
    val numComponents: Int?,
    val vocabulary: Vocabulary?
) {
    val isText: Boolean get() = vocabulary != null

    /** Dimension filled at step [step]: `ordering[step]`, identity when there is no ordering. */
    fun dimensionAt(step: Int): Int = ordering?.get(step) ?: step
}

/** Inputs and outputs of one exported signature, in manifest order. */
class SignatureSpec(val inputs: List<TensorSpec>, val outputs: List<TensorSpec>) {
    fun input(name: String): TensorSpec? = inputs.firstOrNull { it.name == name }
    fun output(name: String): TensorSpec? = outputs.firstOrNull { it.name == name }
}

/** manifest.json (format_version 1) as written by the keras-ar exporter; see docs/manifest.md. */
class ModelManifest(
    val formatVersion: Int,
    val kerasArVersion: String?,
    val model: ModelInfo,
    val noiseSize: Int,
    val noiseConvention: String,
    val tfliteFile: String?,
    val state: List<TensorSpec>,
    val signatures: Map<String, SignatureSpec>
) {
    val step: SignatureSpec
        get() = signatures["step"] ?: throw ManifestException("manifest has no 'step' signature")

    companion object {
        const val SUPPORTED_FORMAT_VERSION = 1

        fun parse(text: String): ModelManifest {
            val root = Json.parse(text).asObject("manifest")
            val version = root.int("format_version")
            if (version != SUPPORTED_FORMAT_VERSION) {
                throw ManifestException("unsupported format_version $version (expected $SUPPORTED_FORMAT_VERSION)")
            }
            val noise = root.obj("noise")
            val files = root["files"] as? Map<*, *>
            val signatures = LinkedHashMap<String, SignatureSpec>()
            for ((name, value) in root.obj("signatures")) {
                val sig = value.asObject("signatures.$name")
                signatures[name] = SignatureSpec(
                    inputs = sig.list("inputs").map { parseTensor(it) },
                    outputs = sig.list("outputs").map { parseTensor(it) }
                )
            }
            return ModelManifest(
                formatVersion = version,
                kerasArVersion = root["keras_ar_version"] as? String,
                model = parseModel(root.obj("model")),
                noiseSize = noise.int("size"),
                noiseConvention = noise.string("convention"),
                tfliteFile = files?.get("tflite") as? String,
                state = root.list("state").map { parseTensor(it) },
                signatures = signatures
            )
        }

        private fun parseModel(model: Map<String, Any?>): ModelInfo = ModelInfo(
            kind = model.string("kind"),
            inputDim = model.intOrNull("input_dim"),
            imageShape = model.intArrayOrNull("image_shape"),
            ordering = model.intArrayOrNull("ordering"),
            distribution = Distribution.fromManifest(model.string("distribution")),
            numCategories = model.intOrNull("num_categories"),
            numComponents = model.intOrNull("num_components"),
            vocabulary = (model["vocabulary"] as? Map<*, *>)?.let { parseVocabulary(it.asObject("vocabulary")) }
        )

        private fun parseVocabulary(vocab: Map<String, Any?>): Vocabulary = Vocabulary(
            tokens = vocab.list("tokens").map { it as? String ?: throw ManifestException("vocabulary token is not a string: $it") },
            boundaryId = vocab.int("boundary_id"),
            unknownId = vocab.intOrNull("unknown_id")
        )

        private fun parseTensor(value: Any?): TensorSpec {
            val spec = value.asObject("tensor")
            return TensorSpec(
                name = spec.string("name"),
                dtype = DType.fromManifest(spec.string("dtype")),
                shape = spec.intArrayOrNull("shape") ?: throw ManifestException("tensor '${spec["name"]}' has no shape")
            )
        }
    }
}

class ManifestException(message: String) : RuntimeException(message)

// Typed access to parsed JSON, raising ManifestException with the offending key.

private fun Any?.asObject(what: String): Map<String, Any?> {
    val map = this as? Map<*, *> ?: throw ManifestException("$what is not an object")
    val result = LinkedHashMap<String, Any?>()
    for ((k, v) in map) result[k as String] = v
    return result
}

private fun Map<String, Any?>.obj(key: String): Map<String, Any?> = this[key].asObject(key)

private fun Map<String, Any?>.list(key: String): List<Any?> =
    this[key] as? List<*> ?: throw ManifestException("'$key' is not a list")

private fun Map<String, Any?>.string(key: String): String =
    this[key] as? String ?: throw ManifestException("'$key' is not a string")

private fun Map<String, Any?>.intOrNull(key: String): Int? {
    val value = this[key] ?: return null
    return value.toIntExact(key)
}

private fun Map<String, Any?>.int(key: String): Int =
    intOrNull(key) ?: throw ManifestException("'$key' is missing")

private fun Map<String, Any?>.intArrayOrNull(key: String): IntArray? {
    val value = this[key] ?: return null
    val items = value as? List<*> ?: throw ManifestException("'$key' is not a list")
    return IntArray(items.size) { i -> items[i].toIntExact(key) }
}

private fun Any?.toIntExact(key: String): Int = when (this) {
    is Long -> if (this in Int.MIN_VALUE..Int.MAX_VALUE) toInt() else throw ManifestException("'$key' out of range: $this")
    is Double -> if (this == Math.rint(this)) toInt() else throw ManifestException("'$key' is not an integer: $this")
    else -> throw ManifestException("'$key' is not a number: $this")
}

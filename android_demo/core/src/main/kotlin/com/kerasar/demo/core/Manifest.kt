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
    val vocabulary: Vocabulary?,
    /** MADE: number of connectivity masks (the initial state picks one); null for other models. */
    val numMasks: Int? = null
) {
    val isText: Boolean get() = vocabulary != null

    /** Dimension filled at step [step]: `ordering[step]`, identity when there is no ordering. */
    fun dimensionAt(step: Int): Int = ordering?.get(step) ?: step
}

/** Size and SHA-256 of one exported file (the `checksums` section). */
class FileChecksum(val bytes: Long, val sha256: String?)

/** Inputs and outputs of one exported signature, in manifest order. */
class SignatureSpec(val inputs: List<TensorSpec>, val outputs: List<TensorSpec>) {
    fun input(name: String): TensorSpec? = inputs.firstOrNull { it.name == name }
    fun output(name: String): TensorSpec? = outputs.firstOrNull { it.name == name }
}

/**
 * manifest.json (format_version 1) as written by `keras_ar.export.export_model`; see
 * docs/manifest.md. Keys this reader does not know are ignored (the format only ever adds
 * keys within version 1).
 */
class ModelManifest(
    val formatVersion: Int,
    val kerasArVersion: String?,
    val model: ModelInfo,
    val noiseSize: Int,
    val noiseConvention: String,
    /** `noise.initial_state`: the `noise` input of `initial_state` matters (MADE with several masks). */
    val noiseInitialState: Boolean,
    /** `files.tflite`: the float32 .tflite file, or null when the export has no TFLite. */
    val tfliteFile: String?,
    val state: List<TensorSpec>,
    val signatures: Map<String, SignatureSpec>,
    /** `export.batch_size` (the first dimension of every tensor but `temperature`); null if absent. */
    val batchSize: Int? = null,
    /** `export.sequence_length`: length of CharRNN's `log_prob` input; null for image models. */
    val sequenceLength: Int? = null,
    /** `checksums`: exported file (relative path) -> size and SHA-256. */
    val checksums: Map<String, FileChecksum> = emptyMap()
) {
    val step: SignatureSpec
        get() = signatures[STEP] ?: throw ManifestException("manifest has no '$STEP' signature")

    val initialState: SignatureSpec
        get() = signatures[INITIAL_STATE] ?: throw ManifestException("manifest has no '$INITIAL_STATE' signature")

    companion object {
        const val SUPPORTED_FORMAT_VERSION = 1
        const val STEP = "step"
        const val INITIAL_STATE = "initial_state"

        /** `noise.convention` that the host sampler implements, per distribution (docs/contract.md). */
        fun expectedConvention(distribution: Distribution): String = when (distribution) {
            Distribution.BERNOULLI, Distribution.CATEGORICAL -> "inverse_cdf"
            Distribution.MIXTURE_OF_GAUSSIANS -> "inverse_cdf_box_muller"
        }

        fun parse(text: String): ModelManifest {
            val root = Json.parse(text).asObject("manifest")
            val version = root.int("format_version")
            if (version != SUPPORTED_FORMAT_VERSION) {
                throw ManifestException("unsupported format_version $version (expected $SUPPORTED_FORMAT_VERSION)")
            }
            val model = parseModel(root.obj("model"))
            val noise = root.obj("noise")
            val convention = noise.string("convention")
            if (convention != expectedConvention(model.distribution)) {
                throw ManifestException(
                    "noise.convention '$convention' for ${model.distribution.manifestName}; this app implements " +
                        "'${expectedConvention(model.distribution)}'"
                )
            }
            val files = root["files"]?.asObject("files")
            val signatures = LinkedHashMap<String, SignatureSpec>()
            for ((name, value) in root.obj("signatures")) {
                val sig = value.asObject("signatures.$name")
                signatures[name] = SignatureSpec(
                    inputs = sig.list("inputs").map { parseTensor(it) },
                    outputs = sig.list("outputs").map { parseTensor(it) }
                )
            }
            val export = root["export"]?.asObject("export")
            return ModelManifest(
                formatVersion = version,
                kerasArVersion = root["keras_ar_version"] as? String,
                model = model,
                noiseSize = noise.int("size"),
                noiseConvention = convention,
                noiseInitialState = noise.booleanOrNull("initial_state") ?: false,
                tfliteFile = files?.get("tflite") as? String,
                state = root.list("state").map { parseTensor(it) },
                signatures = signatures,
                batchSize = export?.intOrNull("batch_size"),
                sequenceLength = export?.intOrNull("sequence_length"),
                checksums = parseChecksums(root["checksums"])
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
            vocabulary = model["vocabulary"]?.let { parseVocabulary(it.asObject("vocabulary")) },
            numMasks = model.intOrNull("num_masks")
        )

        private fun parseVocabulary(vocab: Map<String, Any?>): Vocabulary = Vocabulary(
            tokens = vocab.list("tokens").map { it as? String ?: throw ManifestException("vocabulary token is not a string: $it") },
            boundaryId = vocab.int("boundary_id"),
            unknownId = vocab.intOrNull("unknown_id")
        )

        private fun parseChecksums(value: Any?): Map<String, FileChecksum> {
            if (value == null) return emptyMap()
            val result = LinkedHashMap<String, FileChecksum>()
            for ((file, entry) in value.asObject("checksums")) {
                val sums = entry.asObject("checksums.$file")
                val bytes = sums["bytes"]
                result[file] = FileChecksum(
                    bytes = bytes as? Long ?: throw ManifestException("checksums.$file.bytes is not an integer: $bytes"),
                    sha256 = sums["sha256"] as? String
                )
            }
            return result
        }

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

private fun Map<String, Any?>.booleanOrNull(key: String): Boolean? {
    val value = this[key] ?: return null
    return value as? Boolean ?: throw ManifestException("'$key' is not true/false: $value")
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

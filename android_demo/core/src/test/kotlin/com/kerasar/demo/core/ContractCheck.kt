package com.kerasar.demo.core

import java.io.File
import kotlin.system.exitProcess

/**
 * Checks the core classes against a real export (used by tests/test_android_contract.py
 * through `MANIFEST_DIR=... bash android_demo/run_host_tests.sh`, and by RecordedTraceTest
 * on the committed fixtures):
 *
 * - [summarize]: what the app reads from manifest.json, written back as JSON so that the
 *   Python test can compare it key by key with the manifest the exporter wrote;
 * - [replay]: the sampling runs recorded by android_demo/app_loop.py (every
 *   `initial_state` / `step` call of the real .tflite under LiteRT, inputs and outputs) are
 *   replayed through StepSession + ImageSampleRun / TextGeneration. The Kotlin code must
 *   make the same calls with bit-identical inputs (state buffers, x_prev, noise,
 *   temperature) and end with Keras' sample for the same noise.
 */
object ContractCheck {
    /** The manifest as the app understands it, keyed like manifest.json. */
    fun summarize(manifest: ModelManifest): Map<String, Any?> {
        val model = manifest.model
        val session = StepSession(NoOpModel, manifest) // throws if the app could not bind it
        return linkedMapOf(
            "format_version" to manifest.formatVersion,
            "keras_ar_version" to manifest.kerasArVersion,
            "model" to linkedMapOf(
                "kind" to model.kind,
                "input_dim" to model.inputDim,
                "image_shape" to model.imageShape?.toList(),
                "ordering" to model.ordering?.toList(),
                "distribution" to model.distribution.manifestName,
                "num_categories" to model.numCategories,
                "num_components" to model.numComponents,
                "num_masks" to model.numMasks,
                "vocabulary" to model.vocabulary?.let {
                    linkedMapOf("tokens" to it.tokens, "boundary_id" to it.boundaryId, "unknown_id" to it.unknownId)
                }
            ),
            "noise" to linkedMapOf(
                "size" to manifest.noiseSize,
                "convention" to manifest.noiseConvention,
                "initial_state" to manifest.noiseInitialState
            ),
            "tflite" to manifest.tfliteFile,
            "state" to manifest.state.map { tensor(it) },
            "signatures" to manifest.signatures.mapValues { (_, sig) ->
                linkedMapOf("inputs" to sig.inputs.map { tensor(it) }, "outputs" to sig.outputs.map { tensor(it) })
            },
            "batch_size" to manifest.batchSize,
            "sequence_length" to manifest.sequenceLength,
            "checksums" to manifest.checksums.mapValues { (_, sum) -> linkedMapOf("bytes" to sum.bytes, "sha256" to sum.sha256) },
            "session" to linkedMapOf(
                "noise_size" to session.noiseSize,
                "initial_state_is_random" to session.initialStateIsRandom,
                "state" to session.state.keys.toList()
            )
        )
    }

    /** Replays every run of [traceText] (app_trace.json); returns the run names. */
    fun replay(manifestText: String, traceText: String): List<String> {
        val manifest = ModelManifest.parse(manifestText)
        val trace = Json.parse(traceText) as Map<*, *>
        check(trace["format"] == 1L) { "unknown trace format ${trace["format"]}" }
        val names = ArrayList<String>()
        for (item in trace["runs"] as List<*>) {
            val run = item as Map<*, *>
            val name = run["name"] as String
            replayRun(manifest, name, run)
            names.add(name)
        }
        return names
    }

    private fun replayRun(manifest: ModelManifest, name: String, run: Map<*, *>) {
        @Suppress("UNCHECKED_CAST")
        val model = ReplayModel(name, run["calls"] as List<Map<String, Any?>>)
        val session = StepSession(model, manifest)
        model.armed = true // the session's own reset at construction is not part of a run
        val temperature = (run["temperature"] as Number).toFloat()
        val options = SamplingOptions(temperature = temperature, hostSampling = run["host_sampling"] as Boolean)
        val uniforms = FixedUniforms(floats(run["uniforms"]))
        val initialNoise = (run["initial_noise"] as Number?)?.toFloat()
        when (run["type"]) {
            "image" -> {
                val given = run["given"]?.let { floats(it) }
                val observed = (run["observed"] as List<*>?)?.let { list -> BooleanArray(list.size) { list[it] as Boolean } }
                val values = ImageSampleRun(session, uniforms, options, given, observed, initialNoise).runToEnd()
                val expected = floats(run["expected"])
                if (!values.contentEquals(expected)) {
                    throw AssertionError("$name: app sample ${values.contentToString()} != Keras ${expected.contentToString()}")
                }
            }
            "text" -> {
                val prompt = ints(run["prompt"])
                val maxNew = (run["max_new_tokens"] as Number).toInt()
                val generation = TextGeneration(session, uniforms, options, prompt, maxNew, initialNoise)
                while (generation.next() != null) {
                }
                val expected = run["expected"] as Map<*, *>
                val tokens = ints(expected["tokens"])
                if (!generation.tokens.contentEquals(tokens) || generation.endedOnBoundary != expected["ended_on_boundary"]) {
                    throw AssertionError(
                        "$name: app continuation ${generation.tokens.contentToString()} (boundary ${generation.endedOnBoundary}) " +
                            "!= Keras ${tokens.contentToString()} (boundary ${expected["ended_on_boundary"]})"
                    )
                }
            }
            else -> throw IllegalArgumentException("$name: unknown run type ${run["type"]}")
        }
        model.finish()
    }

    private fun tensor(spec: TensorSpec): Map<String, Any?> =
        linkedMapOf("name" to spec.name, "dtype" to spec.dtype.manifestName, "shape" to spec.shape.toList())

    private fun floats(value: Any?): FloatArray {
        val list = value as List<*>
        return FloatArray(list.size) { (list[it] as Number).toFloat() }
    }

    private fun ints(value: Any?): IntArray {
        val list = value as List<*>
        return IntArray(list.size) { (list[it] as Number).toInt() }
    }

    /** Writes maps, lists, strings (non-ASCII as \\uXXXX), numbers, booleans and null. */
    fun toJson(value: Any?): String = StringBuilder().also { write(it, value) }.toString()

    private fun write(out: StringBuilder, value: Any?) {
        when (value) {
            null -> out.append("null")
            is String -> {
                out.append('"')
                for (ch in value) {
                    when {
                        ch == '"' -> out.append("\\\"")
                        ch == '\\' -> out.append("\\\\")
                        ch.code < 0x20 || ch.code > 0x7e -> out.append(String.format("\\u%04x", ch.code))
                        else -> out.append(ch)
                    }
                }
                out.append('"')
            }
            is Boolean, is Int, is Long -> out.append(value.toString())
            is Number -> out.append(value.toDouble().toString())
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, v) in value) {
                    if (!first) out.append(',')
                    first = false
                    write(out, k.toString())
                    out.append(':')
                    write(out, v)
                }
                out.append('}')
            }
            is List<*> -> {
                out.append('[')
                for ((i, v) in value.withIndex()) {
                    if (i > 0) out.append(',')
                    write(out, v)
                }
                out.append(']')
            }
            else -> throw IllegalArgumentException("cannot write ${value.javaClass}")
        }
    }
}

/** A model that does nothing (for binding checks only). */
object NoOpModel : StepModel {
    override fun initialState(bindings: StepBindings) {}
    override fun step(bindings: StepBindings) {}
}

/**
 * Plays back recorded signature calls: checks that each call the app makes has the
 * recorded signature and bit-identical inputs, then writes the recorded outputs.
 */
class ReplayModel(private val run: String, private val calls: List<Map<String, Any?>>) : StepModel {
    /** Calls before arming (StepSession's reset at construction) are ignored. */
    var armed = false
    private var next = 0

    override fun initialState(bindings: StepBindings) = replay(ModelManifest.INITIAL_STATE, bindings)

    override fun step(bindings: StepBindings) = replay(ModelManifest.STEP, bindings)

    fun finish() {
        if (next != calls.size) throw AssertionError("$run: the app made $next calls, the recording has ${calls.size}")
    }

    private fun replay(signature: String, bindings: StepBindings) {
        if (!armed) return
        val where = "$run, call $next ($signature)"
        if (next >= calls.size) throw AssertionError("$where: beyond the ${calls.size} recorded calls")
        val call = calls[next]
        if (call["signature"] != signature) throw AssertionError("$where: recorded '${call["signature"]}'")
        val inputs = call["inputs"] as Map<*, *>
        val outputs = call["outputs"] as Map<*, *>
        if (bindings.inputs.keys != inputs.keys) throw AssertionError("$where: inputs ${bindings.inputs.keys} != recorded ${inputs.keys}")
        if (bindings.outputs.keys != outputs.keys) throw AssertionError("$where: outputs ${bindings.outputs.keys} != recorded ${outputs.keys}")
        for ((name, buffer) in bindings.inputs) {
            val values = inputs[name] as List<*>
            if (values.size != buffer.size) throw AssertionError("$where: input $name has ${buffer.size} values, recorded ${values.size}")
            for (i in values.indices) {
                val recorded = values[i] as Number
                val same = when (buffer.spec.dtype) {
                    DType.FLOAT32 -> buffer.getFloat(i) == recorded.toFloat()
                    DType.INT32 -> buffer.getInt(i).toLong() == recorded.toLong()
                }
                if (!same) {
                    val actual: Any = if (buffer.spec.dtype == DType.FLOAT32) buffer.getFloat(i) else buffer.getInt(i)
                    throw AssertionError("$where: input $name[$i] = $actual, recorded $recorded")
                }
            }
        }
        for ((name, buffer) in bindings.outputs) {
            val values = outputs[name] as List<*>
            if (values.size != buffer.size) throw AssertionError("$where: output $name has ${buffer.size} values, recorded ${values.size}")
            for (i in values.indices) {
                val recorded = values[i] as Number
                when (buffer.spec.dtype) {
                    DType.FLOAT32 -> buffer.setFloat(i, recorded.toFloat())
                    DType.INT32 -> buffer.setInt(i, recorded.toInt())
                }
            }
        }
        next++
    }
}

/**
 * `ContractCheckKt DIR...`: for every export directory prints `MANIFEST <json summary>`
 * and, when DIR/app_trace.json exists, replays it (`REPLAY <dir> <run> ok`). Exits 1 on
 * the first problem.
 */
fun main(args: Array<String>) {
    for (dir in args) {
        try {
            val manifestText = File(dir, "manifest.json").readText(Charsets.UTF_8)
            val summary = LinkedHashMap<String, Any?>()
            summary["dir"] = dir
            summary.putAll(ContractCheck.summarize(ModelManifest.parse(manifestText)))
            println("MANIFEST " + ContractCheck.toJson(summary))
            val trace = File(dir, "app_trace.json")
            if (trace.isFile) {
                for (name in ContractCheck.replay(manifestText, trace.readText(Charsets.UTF_8))) println("REPLAY $dir $name ok")
            }
        } catch (e: Throwable) {
            println("FAIL $dir: $e")
            e.printStackTrace()
            exitProcess(1)
        }
    }
}

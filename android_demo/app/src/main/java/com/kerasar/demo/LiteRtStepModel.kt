package com.kerasar.demo

import com.kerasar.demo.core.ModelManifest
import com.kerasar.demo.core.SignatureCheck
import com.kerasar.demo.core.StepBindings
import com.kerasar.demo.core.StepModel
import org.tensorflow.lite.Interpreter
import java.io.Closeable
import java.nio.ByteBuffer

/**
 * [StepModel] backed by the LiteRT Interpreter: one `runSignature(inputs, outputs, key)` per
 * call, reading and writing the session's preallocated direct buffers in place.
 *
 * `initial_state` always has one input, `noise` [1] (LiteRT's Java `runSignature` rejects a
 * call without inputs); the session passes 0 unless the manifest says the initial state is
 * random. Its outputs are the real starting state (NADE's hidden bias, not zeros), so a
 * failing call is an error, never replaced by zeros.
 */
class LiteRtStepModel(model: ByteBuffer, manifest: ModelManifest, threads: Int = 1) : StepModel, Closeable {
    private val interpreter = Interpreter(model, Interpreter.Options().setNumThreads(threads))

    init {
        try {
            val keys = interpreter.signatureKeys.toList()
            for (key in listOf(ModelManifest.INITIAL_STATE, ModelManifest.STEP)) {
                require(key in keys) { "model has no '$key' signature (it has ${keys.joinToString()}); re-export it" }
                val spec = manifest.signatures[key] ?: throw IllegalArgumentException("manifest.json has no '$key' signature")
                val problem = SignatureCheck.mismatch(
                    key, spec,
                    interpreter.getSignatureInputs(key).toList(),
                    interpreter.getSignatureOutputs(key).toList()
                )
                require(problem == null) { "$problem (model.tflite and manifest.json come from different exports?)" }
            }
        } catch (e: RuntimeException) {
            interpreter.close()
            throw e
        }
    }

    override fun initialState(bindings: StepBindings) {
        bindings.rewind()
        interpreter.runSignature(bindings.rawInputs, bindings.rawOutputs, ModelManifest.INITIAL_STATE)
    }

    override fun step(bindings: StepBindings) {
        bindings.rewind()
        interpreter.runSignature(bindings.rawInputs, bindings.rawOutputs, ModelManifest.STEP)
    }

    override fun close() {
        interpreter.close()
    }
}

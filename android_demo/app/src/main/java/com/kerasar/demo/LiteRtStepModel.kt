package com.kerasar.demo

import com.kerasar.demo.core.StepBindings
import com.kerasar.demo.core.StepModel
import com.kerasar.demo.core.TensorBuffer
import org.tensorflow.lite.Interpreter
import java.io.Closeable
import java.nio.ByteBuffer

/**
 * [StepModel] backed by the LiteRT Interpreter: one `runSignature(inputs, outputs, "step")`
 * per position, reading and writing the session's preallocated direct buffers in place.
 */
class LiteRtStepModel(model: ByteBuffer, threads: Int = 1) : StepModel, Closeable {
    private val interpreter = Interpreter(model, Interpreter.Options().setNumThreads(threads))
    private var runInitialState = INITIAL_STATE in interpreter.signatureKeys

    init {
        require(STEP in interpreter.signatureKeys) {
            "model has no '$STEP' signature (it has ${interpreter.signatureKeys.joinToString()})"
        }
    }

    override fun step(bindings: StepBindings) {
        bindings.rewind()
        interpreter.runSignature(bindings.rawInputs, bindings.rawOutputs, STEP)
    }

    override fun initialState(state: Map<String, TensorBuffer>) {
        for (buffer in state.values) buffer.fillZero()
        if (!runInitialState) return
        try {
            for (buffer in state.values) buffer.rewind()
            interpreter.runSignature(emptyMap<String, Any>(), state.mapValues { it.value.buffer }, INITIAL_STATE)
        } catch (e: IllegalArgumentException) {
            // Some LiteRT versions refuse a signature call without inputs. Zeros of the listed
            // shapes are a valid initial state for every exported model (docs/manifest.md).
            for (buffer in state.values) buffer.fillZero()
            runInitialState = false
        }
    }

    override fun close() {
        interpreter.close()
    }

    companion object {
        const val STEP = "step"
        const val INITIAL_STATE = "initial_state"
    }
}

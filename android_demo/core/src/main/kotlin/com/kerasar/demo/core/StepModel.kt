package com.kerasar.demo.core

/**
 * The exported `step` signature as a runtime sees it. The app implements it with the LiteRT
 * Interpreter; tests implement it in plain Kotlin.
 */
interface StepModel {
    /**
     * Runs one step: reads every buffer of [bindings].inputs (state tensors by state name,
     * `x_prev`, `noise`, `temperature`) and overwrites every buffer of [bindings].outputs
     * (`new_<state name>`, `sample`, `probs` or the mixture outputs).
     */
    fun step(bindings: StepBindings)

    /**
     * Writes the initial state into [state] (keyed by state name). The default is zeros of
     * the listed shapes, which docs/manifest.md allows for every model.
     */
    fun initialState(state: Map<String, TensorBuffer>) {
        for (buffer in state.values) buffer.fillZero()
    }
}

/**
 * Inputs and outputs of one step call, bound once to preallocated buffers. [rawInputs] and
 * [rawOutputs] hold the same buffers as `Map<String, Any>` of ByteBuffers, ready for
 * `Interpreter.runSignature(inputs, outputs, "step")` without a per-step allocation.
 */
class StepBindings(val inputs: Map<String, TensorBuffer>, val outputs: Map<String, TensorBuffer>) {
    val rawInputs: Map<String, Any> = inputs.mapValues { it.value.buffer }
    val rawOutputs: Map<String, Any> = outputs.mapValues { it.value.buffer }

    fun rewind() {
        for (buffer in inputs.values) buffer.rewind()
        for (buffer in outputs.values) buffer.rewind()
    }
}

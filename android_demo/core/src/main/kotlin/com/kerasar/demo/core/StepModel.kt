package com.kerasar.demo.core

/**
 * The exported `initial_state` and `step` signatures as a runtime sees them. The app
 * implements them with the LiteRT Interpreter; tests implement them in plain Kotlin.
 */
interface StepModel {
    /**
     * Runs `initial_state`: reads [bindings].inputs (`noise` `[B]`, 0 unless the manifest
     * says `noise.initial_state`) and overwrites [bindings].outputs, the state tensors keyed
     * by state name. Never replace this by zeros: NADE, CategoricalNADE and RNADE start
     * from the hidden bias (docs/contract.md).
     */
    fun initialState(bindings: StepBindings)

    /**
     * Runs one step: reads every buffer of [bindings].inputs (state tensors by state name,
     * `x_prev`, `noise`, `temperature`) and overwrites every buffer of [bindings].outputs
     * (`new_<state name>`, `sample`, `probs` or `mixture_weights`/`means`/`scales`).
     */
    fun step(bindings: StepBindings)
}

/**
 * Inputs and outputs of one signature call, bound once to preallocated buffers. [rawInputs]
 * and [rawOutputs] hold the same buffers as `Map<String, Any>` of ByteBuffers, ready for
 * `Interpreter.runSignature(inputs, outputs, key)` without a per-call allocation.
 */
class StepBindings(val inputs: Map<String, TensorBuffer>, val outputs: Map<String, TensorBuffer>) {
    val rawInputs: Map<String, Any> = inputs.mapValues { it.value.buffer }
    val rawOutputs: Map<String, Any> = outputs.mapValues { it.value.buffer }

    fun rewind() {
        for (buffer in inputs.values) buffer.rewind()
        for (buffer in outputs.values) buffer.rewind()
    }
}

/** Compares the tensor names a runtime reports for a signature with the manifest's. */
object SignatureCheck {
    /**
     * Null when [runtimeInputs] / [runtimeOutputs] (e.g. `Interpreter.getSignatureInputs`)
     * are exactly the names of [spec], else a message naming the differences.
     */
    fun mismatch(key: String, spec: SignatureSpec, runtimeInputs: Collection<String>, runtimeOutputs: Collection<String>): String? {
        val problems = ArrayList<String>()
        describe("inputs", spec.inputs.map { it.name }, runtimeInputs, problems)
        describe("outputs", spec.outputs.map { it.name }, runtimeOutputs, problems)
        return if (problems.isEmpty()) null else "signature '$key' does not match manifest.json: " + problems.joinToString("; ")
    }

    private fun describe(what: String, manifest: List<String>, runtime: Collection<String>, problems: MutableList<String>) {
        val missing = manifest.filter { it !in runtime }
        val extra = runtime.filter { it !in manifest }
        if (missing.isNotEmpty()) problems.add("$what missing in the model: $missing")
        if (extra.isNotEmpty()) problems.add("$what not in the manifest: $extra")
    }
}

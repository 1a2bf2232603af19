package com.kerasar.demo.core

/**
 * Drives a [StepModel] one position at a time with preallocated buffers: two sets of state
 * buffers are swapped after every step (the outputs `new_<name>` of one step are the inputs
 * of the next), so no tensor is allocated or copied inside the loop.
 */
class StepSession(private val model: StepModel, val manifest: ModelManifest) {
    private val signature = manifest.step
    private val stateA = manifest.state.map { TensorBuffer(it) }
    private val stateB = manifest.state.map { TensorBuffer(it) }
    private val xPrev = TensorBuffer(requireInput(X_PREV))
    private val noise = TensorBuffer(requireInput(NOISE))
    private val temperature = TensorBuffer(requireInput(TEMPERATURE))
    private val outputs: Map<String, TensorBuffer> = signature.outputs
        .filter { spec -> manifest.state.none { NEW_PREFIX + it.name == spec.name } }
        .associate { it.name to TensorBuffer(it) }
    private val bindings = arrayOf(bind(stateA, stateB), bind(stateB, stateA))
    private var current = 0
    private val head = HeadSampler(manifest.model.distribution, outputs)
    private val uniforms = FloatArray(noise.size)

    /** Number of uniforms each step consumes. */
    val noiseSize: Int get() = noise.size

    /** Steps run since the last [reset]. */
    var position: Int = 0
        private set

    /** The state that the next step reads, by state name. */
    val state: Map<String, TensorBuffer>
        get() = stateMap(if (current == 0) stateA else stateB)

    init {
        reset()
    }

    fun reset() {
        current = 0
        position = 0
        model.initialState(stateMap(stateA))
    }

    /** A non-state output of the last step (`sample`, `probs`, ...). */
    fun output(name: String): TensorBuffer =
        outputs[name] ?: throw IllegalArgumentException("step has no output '$name'; it has ${outputs.keys}")

    /**
     * Runs one step with [previous] as `x_prev`, consuming [noiseSize] uniforms from
     * [source], and returns the value drawn for this position according to [options].
     */
    fun step(previous: Float, source: UniformSource, options: SamplingOptions): Float {
        xPrev.setFloat(0, previous)
        for (i in uniforms.indices) {
            uniforms[i] = source.nextUniform()
            noise.setFloat(i, uniforms[i])
        }
        temperature.setFloat(0, if (options.hostSampling) 1f else options.temperature)
        model.step(bindings[current])
        current = 1 - current
        position++
        return if (options.hostSampling) head.sample(uniforms, options) else output(SAMPLE).getFloat(0)
    }

    private fun requireInput(name: String): TensorSpec =
        signature.input(name) ?: throw ManifestException("step signature has no input '$name'")

    private fun stateMap(buffers: List<TensorBuffer>): Map<String, TensorBuffer> =
        buffers.associateBy { it.spec.name }

    private fun bind(readState: List<TensorBuffer>, writeState: List<TensorBuffer>): StepBindings {
        val inputs = LinkedHashMap<String, TensorBuffer>()
        for (spec in signature.inputs) {
            inputs[spec.name] = when (spec.name) {
                X_PREV -> xPrev
                NOISE -> noise
                TEMPERATURE -> temperature
                else -> readState.firstOrNull { it.spec.name == spec.name }
                    ?: throw ManifestException("step input '${spec.name}' is neither state nor x_prev/noise/temperature")
            }
        }
        val outs = LinkedHashMap<String, TensorBuffer>()
        for (spec in signature.outputs) {
            outs[spec.name] = outputs[spec.name]
                ?: writeState.first { NEW_PREFIX + it.spec.name == spec.name }
        }
        for (buffer in writeState) {
            if (NEW_PREFIX + buffer.spec.name !in outs) {
                throw ManifestException("step signature has no output '$NEW_PREFIX${buffer.spec.name}'")
            }
        }
        return StepBindings(inputs, outs)
    }

    companion object {
        const val X_PREV = "x_prev"
        const val NOISE = "noise"
        const val TEMPERATURE = "temperature"
        const val SAMPLE = "sample"
        const val NEW_PREFIX = "new_"
    }
}

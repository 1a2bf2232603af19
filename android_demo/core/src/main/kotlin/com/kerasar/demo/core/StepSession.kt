package com.kerasar.demo.core

/**
 * Drives a [StepModel] one position at a time with preallocated buffers: two sets of state
 * buffers are swapped after every step (the outputs `new_<name>` of one step are the inputs
 * of the next), so no tensor is allocated or copied inside the loop. [reset] runs the
 * exported `initial_state` signature into the first set.
 *
 * Only batch size 1 is supported (export with the default `batch_size=1`).
 */
class StepSession(private val model: StepModel, val manifest: ModelManifest) {
    private val signature = manifest.step
    private val initialSignature = manifest.initialState
    private val stateA = manifest.state.map { TensorBuffer(it) }
    private val stateB = manifest.state.map { TensorBuffer(it) }
    private val xPrev = TensorBuffer(requireInput(X_PREV))
    private val noise = TensorBuffer(requireInput(NOISE))
    private val temperature = TensorBuffer(requireInput(TEMPERATURE))
    private val initialNoise = TensorBuffer(
        initialSignature.input(NOISE) ?: throw ManifestException("initial_state signature has no input '$NOISE'")
    )
    private val outputs: Map<String, TensorBuffer> = signature.outputs
        .filter { spec -> manifest.state.none { NEW_PREFIX + it.name == spec.name } }
        .associate { it.name to TensorBuffer(it) }
    private val bindings = arrayOf(bind(stateA, stateB), bind(stateB, stateA))
    private val initialBindings = bindInitialState()
    private var current = 0
    private val head = HeadSampler(manifest.model.distribution, outputs)
    private val uniforms = FloatArray(noise.size)

    /** Number of uniforms each step consumes. */
    val noiseSize: Int get() = noise.size

    /** Whether the initial state is random (its `noise` input matters; MADE with several masks). */
    val initialStateIsRandom: Boolean get() = manifest.noiseInitialState

    /** Steps run since the last [reset]. */
    var position: Int = 0
        private set

    /** The state that the next step reads, by state name. */
    val state: Map<String, TensorBuffer>
        get() = stateMap(if (current == 0) stateA else stateB)

    init {
        checkBatchSizeOne()
        if (noise.size != manifest.noiseSize) {
            throw ManifestException("step input 'noise' holds ${noise.size} values, noise.size is ${manifest.noiseSize}")
        }
        reset()
    }

    /**
     * Starts a new sequence: runs `initial_state` with [initialNoise] (a uniform in [0, 1);
     * it only matters when [initialStateIsRandom], pass 0 otherwise).
     */
    fun reset(initialNoise: Float = 0f) {
        for (i in 0 until this.initialNoise.size) this.initialNoise.setFloat(i, initialNoise)
        model.initialState(initialBindings)
        current = 0
        position = 0
    }

    /**
     * [reset] for a sampling run: the initial uniform is [initialNoise] if given, else drawn
     * from [source] when the initial state is random, else 0 (as Keras' `model.sample`
     * with `noise=` and the reference runner do).
     */
    fun start(source: UniformSource, initialNoise: Float? = null) {
        reset(initialNoise ?: if (initialStateIsRandom) source.nextUniform() else 0f)
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

    private fun checkBatchSizeOne() {
        val batch = xPrev.spec.shape.firstOrNull()
        if (xPrev.spec.shape.size != 1 || batch != 1 || (manifest.batchSize ?: 1) != 1) {
            throw ManifestException(
                "exported with batch size ${manifest.batchSize ?: batch} (x_prev ${xPrev.spec.shape.contentToString()}); " +
                    "the app runs one sequence at a time: export with batch_size=1 (the default)"
            )
        }
    }

    private fun stateMap(buffers: List<TensorBuffer>): Map<String, TensorBuffer> =
        buffers.associateBy { it.spec.name }

    private fun bindInitialState(): StepBindings {
        val inputs = LinkedHashMap<String, TensorBuffer>()
        for (spec in initialSignature.inputs) {
            if (spec.name != NOISE) throw ManifestException("initial_state input '${spec.name}' is not '$NOISE'")
            inputs[spec.name] = initialNoise
        }
        val outs = LinkedHashMap<String, TensorBuffer>()
        for (spec in initialSignature.outputs) {
            val buffer = stateA.firstOrNull { it.spec.name == spec.name }
                ?: throw ManifestException("initial_state output '${spec.name}' is not a state tensor")
            checkSameTensor(spec, buffer.spec, "initial_state output")
            outs[spec.name] = buffer
        }
        for (buffer in stateA) {
            if (buffer.spec.name !in outs) throw ManifestException("initial_state has no output '${buffer.spec.name}'")
        }
        return StepBindings(inputs, outs)
    }

    private fun bind(readState: List<TensorBuffer>, writeState: List<TensorBuffer>): StepBindings {
        val inputs = LinkedHashMap<String, TensorBuffer>()
        for (spec in signature.inputs) {
            inputs[spec.name] = when (spec.name) {
                X_PREV -> xPrev
                NOISE -> noise
                TEMPERATURE -> temperature
                else -> readState.firstOrNull { it.spec.name == spec.name }
                    ?.also { checkSameTensor(spec, it.spec, "step input") }
                    ?: throw ManifestException("step input '${spec.name}' is neither state nor x_prev/noise/temperature")
            }
        }
        for (buffer in readState) {
            if (buffer.spec.name !in inputs) throw ManifestException("step signature has no input '${buffer.spec.name}'")
        }
        val outs = LinkedHashMap<String, TensorBuffer>()
        for (spec in signature.outputs) {
            outs[spec.name] = outputs[spec.name]
                ?: writeState.first { NEW_PREFIX + it.spec.name == spec.name }.also { checkSameTensor(spec, it.spec, "step output") }
        }
        for (buffer in writeState) {
            if (NEW_PREFIX + buffer.spec.name !in outs) {
                throw ManifestException("step signature has no output '$NEW_PREFIX${buffer.spec.name}'")
            }
        }
        if (SAMPLE !in outs) throw ManifestException("step signature has no output '$SAMPLE'")
        return StepBindings(inputs, outs)
    }

    private fun checkSameTensor(spec: TensorSpec, state: TensorSpec, what: String) {
        if (spec.dtype != state.dtype || !spec.shape.contentEquals(state.shape)) {
            throw ManifestException("$what $spec differs from state tensor $state")
        }
    }

    companion object {
        const val X_PREV = "x_prev"
        const val NOISE = "noise"
        const val TEMPERATURE = "temperature"
        const val SAMPLE = "sample"
        const val NEW_PREFIX = "new_"
    }
}

package com.kerasar.demo.core

/**
 * One ancestral sample of an image model, advanced a step at a time so that a UI can draw
 * it as it grows. Step i fills dimension `ordering[i]`.
 *
 * Conditional completion: where [observed] is true, the value from [given] is kept and fed
 * to the model as `x_prev` instead of the drawn sample (the step still runs and still
 * consumes its uniforms, as in Keras `model.sample(given=..., observed=...)`).
 *
 * The run starts with the exported `initial_state` ([StepSession.start]): [initialNoise]
 * if given, else a uniform from [uniforms] when the initial state is random, else 0.
 */
class ImageSampleRun(
    private val session: StepSession,
    private val uniforms: UniformSource,
    private val options: SamplingOptions = SamplingOptions(),
    private val given: FloatArray? = null,
    private val observed: BooleanArray? = null,
    initialNoise: Float? = null
) {
    private val model = session.manifest.model
    val length: Int = model.inputDim ?: throw IllegalArgumentException("${model.kind} is not an image model")

    /** Values by dimension (raster order); meaningful where [filled]. */
    val values = FloatArray(length)
    val filled = BooleanArray(length)

    /** Steps taken so far. */
    var stepsDone: Int = 0
        private set

    val isDone: Boolean get() = stepsDone >= length

    private var previous = 0f

    init {
        require((given == null) == (observed == null)) { "given and observed go together" }
        require(given == null || given.size == length) { "given has ${given?.size} values, expected $length" }
        require(observed == null || observed.size == length) { "observed has ${observed?.size} flags, expected $length" }
        session.start(uniforms, initialNoise)
    }

    /** Fills the next dimension and returns its index. */
    fun stepOnce(): Int {
        check(!isDone) { "sample already complete" }
        val dimension = model.dimensionAt(stepsDone)
        val drawn = session.step(previous, uniforms, options)
        val value = if (observed != null && observed[dimension]) given!![dimension] else drawn
        values[dimension] = value
        filled[dimension] = true
        previous = value
        stepsDone++
        return dimension
    }

    /** Runs the remaining steps and returns [values]. */
    fun runToEnd(): FloatArray {
        while (!isDone) stepOnce()
        return values
    }
}

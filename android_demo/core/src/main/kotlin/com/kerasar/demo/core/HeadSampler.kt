package com.kerasar.demo.core

/**
 * Draws a value from the distribution outputs of one step (`probs`, or `mixture_weights`,
 * `means`, `scales`) with the step's uniforms, on the host. Scratch arrays are preallocated.
 */
class HeadSampler(private val distribution: Distribution, outputs: Map<String, TensorBuffer>) {
    private val probs = outputs["probs"]
    private val weights = outputs["mixture_weights"]
    private val means = outputs["means"]
    private val scales = outputs["scales"]
    private val scratch = FloatArray(maxOf(probs?.size ?: 0, weights?.size ?: 0))
    private val scratchMeans = FloatArray(means?.size ?: 0)
    private val scratchScales = FloatArray(scales?.size ?: 0)

    init {
        val missing = when (distribution) {
            Distribution.BERNOULLI, Distribution.CATEGORICAL -> if (probs == null) "probs" else null
            Distribution.MIXTURE_OF_GAUSSIANS ->
                if (weights == null || means == null || scales == null) "mixture_weights/means/scales" else null
        }
        if (missing != null) throw ManifestException("step signature lacks '$missing' for $distribution")
    }

    fun sample(uniforms: FloatArray, options: SamplingOptions): Float = when (distribution) {
        Distribution.BERNOULLI -> {
            val p = Sampling.applyTemperature(probs!!.getFloat(0), options.temperature)
            Sampling.bernoulli(p, uniforms[0]).toFloat()
        }
        Distribution.CATEGORICAL -> {
            probs!!.readFloats(scratch)
            Sampling.applyTemperature(scratch, options.temperature, scratch)
            Sampling.topK(scratch, options.topK, scratch)
            Sampling.inverseCdf(scratch, uniforms[0]).toFloat()
        }
        Distribution.MIXTURE_OF_GAUSSIANS -> {
            weights!!.readFloats(scratch)
            means!!.readFloats(scratchMeans)
            scales!!.readFloats(scratchScales)
            Sampling.mixtureOfGaussians(
                scratch, scratchMeans, scratchScales,
                uniforms[0], uniforms[1], uniforms[2], options.temperature
            )
        }
    }
}

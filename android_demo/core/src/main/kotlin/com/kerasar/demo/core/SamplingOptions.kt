package com.kerasar.demo.core

/**
 * How a value is drawn from each step's distribution.
 *
 * With [hostSampling] (the default) the model runs at temperature 1 and the value is drawn
 * here from the returned probabilities, after [temperature] and [topK]. Without it the
 * temperature is passed to the model and its `sample` output is taken as is (the exact
 * Keras / TFLite parity path); top-k then is not available.
 */
class SamplingOptions(
    val temperature: Float = 1f,
    val topK: Int = 0,
    val hostSampling: Boolean = true
) {
    init {
        require(temperature >= 0f) { "temperature must be >= 0, got $temperature" }
        require(hostSampling || topK <= 0) { "top-k needs host sampling" }
        require(hostSampling || temperature > 0f) { "temperature 0 (greedy) needs host sampling" }
    }
}

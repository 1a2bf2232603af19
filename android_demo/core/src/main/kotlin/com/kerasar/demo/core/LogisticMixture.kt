package com.kerasar.demo.core

import kotlin.math.exp
import kotlin.math.expm1
import kotlin.math.floor
import kotlin.math.ln
import kotlin.math.ln1p
import kotlin.math.max
import kotlin.math.min

/**
 * The discretized mixture of logistics over grey levels 0..K-1 (manifest distribution
 * "discretized_logistic_mixture", noise convention "inverse_cdf_logistic"), from the
 * `step` outputs `mixture_weights`, `means`, `scales`:
 * P(k) = sum_c w_c [F_c(k + 1/2) - F_c(k - 1/2)], F_c(t) = sigmoid((t - mean_c) / scale_c),
 * with F(-1/2) = 0 and F(K - 1/2) = 1.
 */
object LogisticMixture {
    /**
     * Component by inverse CDF of [weights] at [u0]; value
     * clip(floor(mean + T * scale * (ln u1 - ln(1 - u1)) + 1/2), 0, K - 1), the exact
     * discrete inverse CDF at T = 1 (the same formula as Keras, TFLite and ONNX).
     */
    fun sample(
        weights: FloatArray,
        means: FloatArray,
        scales: FloatArray,
        u0: Float,
        u1: Float,
        temperature: Float,
        numValues: Int
    ): Int {
        val c = Sampling.inverseCdf(weights, u0)
        // float32 like the exported graphs: ln(0) = -inf is clipped to 0 below
        val logistic = ln(u1) - ln(1f - u1)
        val value = floor(means[c] + temperature * scales[c] * logistic + 0.5f)
        return min(max(value, 0f), (numValues - 1).toFloat()).toInt()
    }

    /** ln P(k), computed in log space (exact in the tails). */
    fun logProb(weights: FloatArray, means: FloatArray, scales: FloatArray, k: Int, numValues: Int): Double {
        var top = Double.NEGATIVE_INFINITY
        val terms = DoubleArray(weights.size)
        for (c in weights.indices) {
            val inverse = 1.0 / scales[c]
            val lower = (k - 0.5 - means[c]) * inverse
            val upper = lower + inverse
            terms[c] = ln(weights[c].toDouble()) + when (k) {
                0 -> logSigmoid(upper)
                numValues - 1 -> logSigmoid(-lower)
                else -> logSigmoid(upper) + logSigmoid(-lower) + log1mExp(inverse)
            }
            top = max(top, terms[c])
        }
        if (top == Double.NEGATIVE_INFINITY) return top
        var sum = 0.0
        for (t in terms) sum += exp(t - top)
        return top + ln(sum)
    }

    private fun logSigmoid(x: Double): Double = if (x >= 0) -ln1p(exp(-x)) else x - ln1p(exp(x))

    private fun log1mExp(z: Double): Double = if (z < ln(2.0)) ln(-expm1(-z)) else ln1p(-exp(-z))
}

package com.kerasar.demo.core

/**
 * Sampling from probabilities with given uniforms, following the noise convention of
 * docs/contract.md, so that the same noise gives the same sample as Keras / TFLite / ONNX.
 */
object Sampling {
    /**
     * Inverse CDF: the number of k with cumsum(p)_k <= u, clipped to K - 1, where K is
     * [count]. The cumulative sum runs in float32, left to right, like the exported graph.
     */
    fun inverseCdf(probs: FloatArray, u: Float, count: Int = probs.size): Int {
        require(count in 1..probs.size) { "count $count outside 1..${probs.size}" }
        var cumulative = 0f
        var below = 0
        for (k in 0 until count) {
            cumulative += probs[k]
            if (cumulative <= u) below++
        }
        return minOf(below, count - 1)
    }

    /** Bernoulli: 1 if u < p else 0. */
    fun bernoulli(p: Float, u: Float): Int = if (u < p) 1 else 0

    /**
     * Tempers probabilities: out_k proportional to p_k^(1/T), which equals
     * softmax(logits / T) when p = softmax(logits). T <= 0 means greedy (one-hot argmax,
     * first index on ties). [out] may be [probs].
     */
    fun applyTemperature(probs: FloatArray, temperature: Float, out: FloatArray = FloatArray(probs.size)): FloatArray {
        require(out.size >= probs.size)
        if (temperature == 1f) {
            if (out !== probs) System.arraycopy(probs, 0, out, 0, probs.size)
            return out
        }
        if (temperature <= 0f) {
            val best = argmax(probs)
            for (k in probs.indices) out[k] = if (k == best) 1f else 0f
            return out
        }
        var maxLog = Double.NEGATIVE_INFINITY
        for (p in probs) if (p > 0f) maxLog = maxOf(maxLog, Math.log(p.toDouble()))
        var total = 0.0
        val scaled = DoubleArray(probs.size)
        for (k in probs.indices) {
            val p = probs[k]
            scaled[k] = if (p > 0f) Math.exp((Math.log(p.toDouble()) - maxLog) / temperature) else 0.0
            total += scaled[k]
        }
        for (k in probs.indices) out[k] = (scaled[k] / total).toFloat()
        return out
    }

    /** Tempered Bernoulli probability: sigmoid(logit(p) / T); T <= 0 rounds to 0 or 1. */
    fun applyTemperature(p: Float, temperature: Float): Float {
        if (temperature == 1f) return p
        if (p <= 0f || p >= 1f) return p
        if (temperature <= 0f) return if (p > 0.5f) 1f else 0f
        val logit = Math.log(p.toDouble()) - Math.log(1.0 - p)
        return (1.0 / (1.0 + Math.exp(-logit / temperature))).toFloat()
    }

    /**
     * Keeps the [k] most probable entries (lower index first on ties), zeroes the others
     * and renormalises. k <= 0 or k >= K leaves the probabilities unchanged. [out] may be [probs].
     */
    fun topK(probs: FloatArray, k: Int, out: FloatArray = FloatArray(probs.size)): FloatArray {
        require(out.size >= probs.size)
        if (out !== probs) System.arraycopy(probs, 0, out, 0, probs.size)
        if (k <= 0 || k >= probs.size) return out
        val order = probs.indices.sortedWith(Comparator { a, b ->
            val byProb = probs[b].compareTo(probs[a])
            if (byProb != 0) byProb else a.compareTo(b)
        })
        var kept = 0.0
        for (rank in order.indices) {
            val index = order[rank]
            if (rank < k) kept += probs[index] else out[index] = 0f
        }
        if (kept > 0.0) {
            for (i in probs.indices) out[i] = (out[i] / kept).toFloat()
        }
        return out
    }

    /**
     * Mixture of Gaussians with three uniforms: component by inverse CDF of [weights] at
     * [u0], z = sqrt(-2 ln(1 - u1)) cos(2 pi u2), sample = mean + T * scale * z.
     */
    fun mixtureOfGaussians(
        weights: FloatArray,
        means: FloatArray,
        scales: FloatArray,
        u0: Float,
        u1: Float,
        u2: Float,
        temperature: Float
    ): Float {
        val component = inverseCdf(weights, u0)
        val z = Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2)
        return (means[component] + temperature * scales[component] * z).toFloat()
    }

    fun argmax(values: FloatArray): Int {
        var best = 0
        for (k in 1 until values.size) if (values[k] > values[best]) best = k
        return best
    }
}

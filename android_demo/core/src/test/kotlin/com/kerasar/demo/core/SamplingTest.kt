package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertSame
import org.junit.Test

class SamplingTest {
    private val eps = 1e-6f

    @Test
    fun inverseCdfCountsCumulativeSumsAtOrBelowU() {
        val p = floatArrayOf(0.25f, 0.5f, 0.25f)
        assertEquals(0, Sampling.inverseCdf(p, 0f))
        assertEquals(0, Sampling.inverseCdf(p, 0.2499f))
        assertEquals(1, Sampling.inverseCdf(p, 0.25f)) // cumsum 0.25 <= u counts
        assertEquals(1, Sampling.inverseCdf(p, 0.7499f))
        assertEquals(2, Sampling.inverseCdf(p, 0.75f))
        assertEquals(2, Sampling.inverseCdf(p, 0.99999994f))
    }

    @Test
    fun inverseCdfSkipsLeadingZeroProbabilities() {
        // cumsum = [0, 0, 1]: both zeros are <= 0, so u = 0 lands on index 2.
        assertEquals(2, Sampling.inverseCdf(floatArrayOf(0f, 0f, 1f), 0f))
    }

    @Test
    fun inverseCdfNeverPicksTrailingZeroProbabilities() {
        assertEquals(1, Sampling.inverseCdf(floatArrayOf(0.5f, 0.5f, 0f, 0f), 0.99999994f))
    }

    @Test
    fun inverseCdfClipsToLastCategoryWhenMassIsShort() {
        // cumsum never exceeds u (rounding, or probabilities summing below 1): clip to K - 1.
        assertEquals(2, Sampling.inverseCdf(floatArrayOf(0.3f, 0.3f, 0.3f), 0.95f))
        assertEquals(0, Sampling.inverseCdf(floatArrayOf(1f), 0.5f))
    }

    @Test
    fun inverseCdfHonoursCount() {
        assertEquals(1, Sampling.inverseCdf(floatArrayOf(0.5f, 0.5f, 9f), 0.9f, count = 2))
    }

    @Test
    fun bernoulliIsStrictlyBelow() {
        assertEquals(1, Sampling.bernoulli(0.5f, 0.4999f))
        assertEquals(0, Sampling.bernoulli(0.5f, 0.5f))
        assertEquals(0, Sampling.bernoulli(0f, 0f))
        assertEquals(1, Sampling.bernoulli(1f, 0.99999994f))
    }

    @Test
    fun temperatureMatchesSoftmaxOfScaledLogits() {
        val logits = doubleArrayOf(1.0, -0.5, 2.0, 0.0)
        val probs = softmax(logits, 1.0)
        for (t in listOf(0.5f, 0.8f, 2f)) {
            val expected = softmax(logits, t.toDouble())
            assertArrayEquals("T=$t", expected, Sampling.applyTemperature(probs, t), eps)
        }
        assertArrayEquals(probs, Sampling.applyTemperature(probs, 1f), 0f)
    }

    @Test
    fun temperatureZeroIsGreedy() {
        assertArrayEquals(floatArrayOf(0f, 1f, 0f), Sampling.applyTemperature(floatArrayOf(0.2f, 0.5f, 0.3f), 0f), 0f)
        assertEquals(1f, Sampling.applyTemperature(0.6f, 0f), 0f)
        assertEquals(0f, Sampling.applyTemperature(0.4f, 0f), 0f)
    }

    @Test
    fun temperatureKeepsZeroProbabilitiesAndWorksInPlace() {
        val p = floatArrayOf(0f, 0.25f, 0.75f)
        val out = Sampling.applyTemperature(p, 0.5f, p)
        assertSame(p, out)
        assertArrayEquals(floatArrayOf(0f, 0.1f, 0.9f), out, eps)
    }

    @Test
    fun bernoulliTemperatureIsSigmoidOfScaledLogit() {
        val logit = 0.7
        val p = (1 / (1 + Math.exp(-logit))).toFloat()
        for (t in listOf(0.5, 1.0, 3.0)) {
            val expected = (1 / (1 + Math.exp(-logit / t))).toFloat()
            assertEquals(expected, Sampling.applyTemperature(p, t.toFloat()), eps)
        }
        assertEquals(1f, Sampling.applyTemperature(1f, 0.3f), 0f)
    }

    @Test
    fun topKKeepsLargestAndRenormalises() {
        val p = floatArrayOf(0.1f, 0.4f, 0.2f, 0.3f)
        assertArrayEquals(floatArrayOf(0f, 4f / 7f, 0f, 3f / 7f), Sampling.topK(p, 2), eps)
        assertArrayEquals(floatArrayOf(0f, 1f, 0f, 0f), Sampling.topK(p, 1), eps)
        assertArrayEquals(floatArrayOf(0.1f, 0.4f, 0.2f, 0.3f), p, 0f) // input untouched
    }

    @Test
    fun topKBreaksTiesByLowerIndex() {
        assertArrayEquals(floatArrayOf(0.5f, 0.5f, 0f, 0f), Sampling.topK(floatArrayOf(0.25f, 0.25f, 0.25f, 0.25f), 2), eps)
    }

    @Test
    fun topKOutsideRangeIsIdentity() {
        val p = floatArrayOf(0.1f, 0.4f, 0.5f)
        assertArrayEquals(p, Sampling.topK(p, 0), 0f)
        assertArrayEquals(p, Sampling.topK(p, 3), 0f)
        assertArrayEquals(p, Sampling.topK(p, 10), 0f)
    }

    @Test
    fun mixtureUsesInverseCdfAndBoxMuller() {
        val weights = floatArrayOf(0.5f, 0.5f)
        val means = floatArrayOf(-1f, 3f)
        val scales = floatArrayOf(0.1f, 2f)
        val u1ForZ1 = (1 - Math.exp(-0.5)).toFloat() // sqrt(-2 ln(1 - u1)) = 1
        assertEquals(3f + 0.5f * 2f, Sampling.mixtureOfGaussians(weights, means, scales, 0.6f, u1ForZ1, 0f, 0.5f), 1e-5f)
        assertEquals(-1f - 0.1f, Sampling.mixtureOfGaussians(weights, means, scales, 0.1f, u1ForZ1, 0.5f, 1f), 1e-5f)
        assertEquals(3f, Sampling.mixtureOfGaussians(weights, means, scales, 0.9f, 0f, 0.3f, 1f), 0f)
    }

    private fun softmax(logits: DoubleArray, t: Double): FloatArray {
        val e = logits.map { Math.exp(it / t) }
        val total = e.sum()
        return FloatArray(logits.size) { (e[it] / total).toFloat() }
    }
}

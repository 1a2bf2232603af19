package com.kerasar.demo.core

import org.junit.Assert.assertEquals
import org.junit.Test
import kotlin.math.exp

class LogisticMixtureTest {
    private val weights = floatArrayOf(0.8455347f, 0.1544653f) // softmax(1.7, 0)
    private val means = floatArrayOf(40.25f, 200.5f)
    private val scales = floatArrayOf(exp(1.5f), exp(0.25f))
    private val noise = arrayOf(
        floatArrayOf(0.1f, 0.3f), floatArrayOf(0.9f, 0.7f), floatArrayOf(0.5f, 0f),
        floatArrayOf(0.95f, 0.999f), floatArrayOf(0.2f, 0.5f), floatArrayOf(0.8f, 0.01f)
    )

    private fun samples(temperature: Float) = noise.map {
        LogisticMixture.sample(weights, means, scales, it[0], it[1], temperature, 256)
    }

    @Test
    fun samplesEqualKerasForTheSameNoise() {
        // DiscretizedLogisticMixture.sample in keras-ar for the same parameters and uniforms
        assertEquals(listOf(36, 202, 0, 209, 40, 20), samples(1f))
        assertEquals(listOf(38, 201, 0, 205, 40, 30), samples(0.5f))
    }

    @Test
    fun probabilitiesSumToOneAndMatchKeras() {
        var total = 0.0
        for (k in 0 until 256) total += exp(LogisticMixture.logProb(weights, means, scales, k, 256))
        assertEquals(1.0, total, 1e-6) // the float32 weights sum to 1 within ~1e-8
        // DiscretizedLogisticMixture.log_prob in keras-ar (float32) for the same parameters
        assertEquals(-3.0558925, LogisticMixture.logProb(weights, means, scales, 40, 256), 1e-4)
        assertEquals(-43.90576, LogisticMixture.logProb(weights, means, scales, 255, 256), 1e-3)
    }

    @Test
    fun sampleIsTheDiscreteInverseCdf() {
        val one = floatArrayOf(1f)
        for (u in listOf(0.001f, 0.2f, 0.5f, 0.77f, 0.999f)) {
            var cdf = 0.0
            var expected = 0
            for (k in 0 until 255) {
                cdf += exp(LogisticMixture.logProb(one, floatArrayOf(120.3f), floatArrayOf(9f), k, 256))
                if (cdf <= u) expected = k + 1
            }
            val got = LogisticMixture.sample(one, floatArrayOf(120.3f), floatArrayOf(9f), 0f, u, 1f, 256)
            assertEquals(expected, got)
        }
    }
}

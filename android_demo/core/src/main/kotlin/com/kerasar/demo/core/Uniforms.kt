package com.kerasar.demo.core

import java.util.Random

/** Source of the uniform numbers in [0, 1) that every step consumes (docs/contract.md). */
interface UniformSource {
    fun nextUniform(): Float
}

/** Seeded pseudo-random uniforms (java.util.Random#nextFloat is in [0, 1)). */
class SeededUniforms(seed: Long) : UniformSource {
    private val random = Random(seed)

    override fun nextUniform(): Float = random.nextFloat()
}

/** Replays fixed uniforms, e.g. noise exported from Keras for a parity check; wraps around. */
class FixedUniforms(private val values: FloatArray) : UniformSource {
    private var next = 0

    init {
        require(values.isNotEmpty()) { "no uniforms given" }
    }

    override fun nextUniform(): Float {
        val u = values[next]
        next = (next + 1) % values.size
        return u
    }
}

package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class ImageSampleRunTest {
    private val width = 3
    private val height = 2

    @Test
    fun fillsEveryDimensionInOrderingAndAdvancesState() {
        val ordering = intArrayOf(5, 4, 3, 2, 1, 0)
        val model = FakeImageModel { 0.5f }
        val run = ImageSampleRun(StepSession(model, TestManifests.image(width, height, ordering)), SeededUniforms(7))
        val filledOrder = ArrayList<Int>()
        while (!run.isDone) {
            filledOrder.add(run.stepOnce())
            assertEquals(filledOrder.size, run.filled.count { it })
        }
        assertEquals(ordering.toList(), filledOrder)
        // Swapped state buffers: the model sees position 0, 1, 2, ... and the running sum.
        assertEquals(listOf(0, 1, 2, 3, 4, 5), model.positions)
        val values = ordering.map { run.values[it] }
        assertEquals(listOf(0f) + values.dropLast(1), model.xPrevs)
        for (i in 1 until 6) assertEquals(values.take(i - 1).sum(), model.accSums[i], 0f)
    }

    @Test
    fun samplesAreBernoulliOfTheConsumedUniforms() {
        val probs = floatArrayOf(0.9f, 0.1f, 0.5f, 0.5f, 0f, 1f)
        val uniforms = floatArrayOf(0.95f, 0.05f, 0.49f, 0.5f, 0f, 0.999f)
        val model = FakeImageModel { probs[it] }
        val values = ImageSampleRun(StepSession(model, TestManifests.image(width, height)), FixedUniforms(uniforms)).runToEnd()
        assertArrayEquals(floatArrayOf(0f, 1f, 1f, 0f, 0f, 1f), values, 0f)
        assertEquals(uniforms.toList(), model.noises)
    }

    @Test
    fun hostAndModelSamplingAgreeOnTheSameNoise() {
        for (t in listOf(1f, 0.5f, 2f)) {
            val probability = { i: Int -> 0.1f + 0.15f * i }
            val manifest = TestManifests.image(width, height)
            val hostModel = FakeImageModel(probability = probability)
            val host = ImageSampleRun(StepSession(hostModel, manifest), SeededUniforms(3), SamplingOptions(temperature = t)).runToEnd()
            val onModel = FakeImageModel(probability = probability)
            val inGraph = ImageSampleRun(
                StepSession(onModel, manifest), SeededUniforms(3), SamplingOptions(temperature = t, hostSampling = false)
            ).runToEnd()
            assertArrayEquals("T=$t", inGraph, host, 0f)
            assertTrue(hostModel.temperatures.all { it == 1f })
            assertTrue(onModel.temperatures.all { it == t })
        }
    }

    @Test
    fun conditionalCompletionFeedsObservedValues() {
        val given = floatArrayOf(1f, 0f, 1f, 0f, 0f, 0f)
        val observed = Presets.topHalfMask(width, height)
        val model = FakeImageModel { 0.5f }
        val noise = floatArrayOf(0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.1f) // samples would be 0,1,0,1,0,1
        val run = ImageSampleRun(StepSession(model, TestManifests.image(width, height)), FixedUniforms(noise), given = given, observed = observed)
        val values = run.runToEnd()
        assertArrayEquals(floatArrayOf(1f, 0f, 1f, 1f, 0f, 1f), values, 0f)
        assertEquals(listOf(0f, 1f, 0f, 1f, 1f, 0f), model.xPrevs)
        assertEquals(6, model.noises.size) // observed steps still consume their noise
    }

    @Test
    fun aNewRunResetsTheState() {
        val model = FakeImageModel { 1f }
        val session = StepSession(model, TestManifests.image(width, height))
        ImageSampleRun(session, SeededUniforms(1)).runToEnd()
        val second = ImageSampleRun(session, SeededUniforms(1))
        assertFalse(second.isDone)
        second.runToEnd()
        assertEquals(listOf(0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5), model.positions)
        assertEquals(0f, model.accSums[6], 0f)
    }

    @Test
    fun theRunStartsFromTheModelsInitialState() {
        // NADE's initial state is its hidden bias, not zeros: it must come from initial_state.
        val model = FakeImageModel(initialAcc = 5f) { 0.5f }
        ImageSampleRun(StepSession(model, TestManifests.image(width, height)), SeededUniforms(2)).runToEnd()
        assertEquals(5f, model.accSums[0], 0f)
        // once when the session is built, once when the run starts; noise 0: not random
        assertEquals(listOf(0f, 0f), model.initialNoises)
    }

    @Test
    fun aRandomInitialStateTakesTheFirstUniform() {
        val model = FakeImageModel { 0.5f }
        val manifest = TestManifests.image(width, height, randomInitialState = true)
        val uniforms = floatArrayOf(0.7f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f)
        ImageSampleRun(StepSession(model, manifest), FixedUniforms(uniforms)).runToEnd()
        assertEquals(0.7f, model.initialNoises.last(), 0f)
        assertEquals(uniforms.drop(1), model.noises)
    }

    @Test
    fun anExplicitInitialNoiseConsumesNoUniform() {
        val model = FakeImageModel { 0.5f }
        val manifest = TestManifests.image(width, height, randomInitialState = true)
        val uniforms = floatArrayOf(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f)
        ImageSampleRun(StepSession(model, manifest), FixedUniforms(uniforms), initialNoise = 0.9f).runToEnd()
        assertEquals(0.9f, model.initialNoises.last(), 0f)
        assertEquals(uniforms.toList(), model.noises)
    }

    @Test
    fun sameSeedGivesSameImage() {
        val manifest = TestManifests.image(width, height)
        val a = ImageSampleRun(StepSession(FakeImageModel { 0.5f }, manifest), SeededUniforms(42)).runToEnd()
        val b = ImageSampleRun(StepSession(FakeImageModel { 0.5f }, manifest), SeededUniforms(42)).runToEnd()
        assertArrayEquals(a, b, 0f)
    }

    @Test(expected = IllegalStateException::class)
    fun steppingPastTheEndFails() {
        val run = ImageSampleRun(StepSession(FakeImageModel { 0.5f }, TestManifests.image(1, 1)), SeededUniforms(1))
        run.stepOnce()
        run.stepOnce()
    }
}

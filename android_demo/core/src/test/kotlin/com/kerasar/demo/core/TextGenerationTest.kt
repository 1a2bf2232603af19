package com.kerasar.demo.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class TextGenerationTest {
    private val tokens = listOf("<b>", "a", "b", "c", "d")
    private val manifest = TestManifests.charRnn(tokens)
    private val vocabulary = manifest.model.vocabulary!!

    /** Next token is x_prev + 1 (after the boundary: "a"), and the boundary after [length] steps. */
    private fun counting(length: Int) = FakeCharModel(tokens.size) { xPrev, steps ->
        FakeCharModel.oneHot(tokens.size, if (steps >= length) 0 else xPrev % 4 + 1)
    }

    @Test
    fun generatesUntilTheBoundaryToken() {
        val model = counting(3)
        val generation = TextGeneration(StepSession(model, manifest), SeededUniforms(1))
        assertEquals("abc", generation.runToEnd())
        assertTrue(generation.endedOnBoundary)
        assertEquals(listOf(0, 1, 2, 3), model.xPrevs)
        assertNull(generation.next())
    }

    @Test
    fun continuesThePrompt() {
        val model = counting(10)
        val prompt = vocabulary.encode("ca")
        val generation = TextGeneration(StepSession(model, manifest), SeededUniforms(1), prompt = prompt, maxNewTokens = 3)
        assertEquals("bcd", generation.runToEnd())
        assertFalse(generation.endedOnBoundary)
        // Boundary first, then the prompt as observed values, then the generated tokens.
        assertEquals(listOf(0, 3, 1, 2, 3), model.xPrevs)
    }

    @Test
    fun boundaryRightAfterThePromptGivesNothing() {
        val generation = TextGeneration(StepSession(counting(2), manifest), SeededUniforms(1), prompt = vocabulary.encode("ab"))
        assertEquals("", generation.runToEnd())
        assertTrue(generation.endedOnBoundary)
    }

    @Test
    fun stopsAtMaxNewTokens() {
        val generation = TextGeneration(StepSession(counting(100), manifest), SeededUniforms(1), maxNewTokens = 6)
        val ids = ArrayList<Int>()
        while (true) ids.add(generation.next() ?: break)
        assertEquals(listOf(1, 2, 3, 4, 1, 2), ids)
        assertTrue(generation.isDone)
    }

    @Test
    fun temperatureZeroAndTopOneAreGreedy() {
        val soft = FakeCharModel(tokens.size) { _, steps ->
            if (steps >= 4) FakeCharModel.oneHot(tokens.size, 0) else floatArrayOf(0.05f, 0.2f, 0.3f, 0.25f, 0.2f)
        }
        val greedy = TextGeneration(StepSession(soft, manifest), SeededUniforms(5), SamplingOptions(temperature = 0f))
        assertEquals("bbbb", greedy.runToEnd())
        val topOne = TextGeneration(StepSession(soft, manifest), SeededUniforms(9), SamplingOptions(topK = 1))
        assertEquals("bbbb", topOne.runToEnd())
    }

    @Test
    fun topKNeverDrawsOutsideTheTopK() {
        val soft = FakeCharModel(tokens.size) { _, _ -> floatArrayOf(0.05f, 0.1f, 0.4f, 0.3f, 0.15f) }
        val text = TextGeneration(StepSession(soft, manifest), SeededUniforms(11), SamplingOptions(topK = 2), maxNewTokens = 300).runToEnd()
        assertEquals(300, text.length)
        assertEquals(setOf('b', 'c'), text.toSet())
    }

    @Test
    fun uniformsMapToTokensByInverseCdf() {
        val soft = FakeCharModel(tokens.size) { _, _ -> floatArrayOf(0.2f, 0.2f, 0.2f, 0.2f, 0.2f) }
        val u = floatArrayOf(0.2f, 0.5f, 0.99f, 0.79f, 0.1f)
        val generation = TextGeneration(StepSession(soft, manifest), FixedUniforms(u))
        assertEquals("abdc", generation.runToEnd())
        assertTrue(generation.endedOnBoundary)
    }
}

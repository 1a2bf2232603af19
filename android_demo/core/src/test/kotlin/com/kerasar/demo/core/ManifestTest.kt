package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class ManifestTest {
    @Test
    fun parsesNadeManifest() {
        val manifest = ModelManifest.parse(TestManifests.load("manifest_nade.json"))
        val model = manifest.model
        assertEquals(1, manifest.formatVersion)
        assertEquals("0.1.0", manifest.kerasArVersion)
        assertEquals("NADE", model.kind)
        assertEquals(784, model.inputDim)
        assertArrayEquals(intArrayOf(28, 28), model.imageShape)
        assertEquals(784, model.ordering!!.size)
        assertEquals(783, model.dimensionAt(783))
        assertEquals(Distribution.BERNOULLI, model.distribution)
        assertNull(model.vocabulary)
        assertEquals(1, manifest.noiseSize)
        assertEquals("inverse_cdf", manifest.noiseConvention)
        assertEquals("model.tflite", manifest.tfliteFile)
        assertEquals(listOf("running_preactivation", "position"), manifest.state.map { it.name })
        assertArrayEquals(intArrayOf(1, 500), manifest.state[0].shape)
        assertEquals(DType.INT32, manifest.state[1].dtype)
        val xPrev = manifest.step.input("x_prev")!!
        assertEquals(DType.FLOAT32, xPrev.dtype)
        assertArrayEquals(intArrayOf(1), xPrev.shape)
        assertArrayEquals(intArrayOf(1, 1), manifest.step.input("noise")!!.shape)
        assertEquals(
            listOf("new_running_preactivation", "new_position", "probs", "sample"),
            manifest.step.outputs.map { it.name }
        )
        assertTrue(manifest.signatures.getValue("initial_state").inputs.isEmpty())
        assertEquals(784, manifest.signatures.getValue("log_prob").inputs[0].elementCount)
    }

    @Test
    fun parsesCharRnnManifest() {
        val manifest = ModelManifest.parse(TestManifests.load("manifest_charrnn.json"))
        val model = manifest.model
        val vocabulary = assertNotNullAndGet(model.vocabulary)
        assertEquals("CharRNN", model.kind)
        assertNull(model.inputDim)
        assertNull(model.ordering)
        assertTrue(model.isText)
        assertEquals(Distribution.CATEGORICAL, model.distribution)
        assertEquals(31, model.numCategories)
        assertEquals(31, vocabulary.size)
        assertEquals(0, vocabulary.boundaryId)
        assertNull(vocabulary.unknownId)
        assertEquals("\u00e9", vocabulary.tokens[30])
        assertEquals(listOf("hidden_0", "hidden_1"), manifest.state.map { it.name })
        assertEquals(DType.INT32, manifest.step.input("x_prev")!!.dtype)
        assertEquals(DType.INT32, manifest.step.output("sample")!!.dtype)
        assertArrayEquals(intArrayOf(1, 31), manifest.step.output("probs")!!.shape)
    }

    @Test
    fun fixtureManifestsDriveASession() {
        val manifest = ModelManifest.parse(TestManifests.load("manifest_charrnn.json"))
        val session = StepSession(object : StepModel {
            override fun step(bindings: StepBindings) {
                bindings.outputs.getValue("probs").setFloat(3, 1f)
            }
        }, manifest)
        assertEquals(1, session.noiseSize)
        assertEquals(3f, session.step(0f, SeededUniforms(1), SamplingOptions()), 0f)
    }

    @Test(expected = ManifestException::class)
    fun rejectsOtherFormatVersions() {
        ModelManifest.parse(TestManifests.load("manifest_nade.json").replace("\"format_version\": 1", "\"format_version\": 2"))
    }

    @Test(expected = ManifestException::class)
    fun rejectsUnknownDistribution() {
        ModelManifest.parse(TestManifests.load("manifest_nade.json").replace("\"bernoulli\"", "\"poisson\""))
    }

    @Test(expected = ManifestException::class)
    fun sessionNeedsNewStateOutputs() {
        val text = TestManifests.load("manifest_nade.json").replace("\"new_position\"", "\"position_out\"")
        StepSession(object : StepModel {
            override fun step(bindings: StepBindings) {}
        }, ModelManifest.parse(text))
    }

    private fun <T> assertNotNullAndGet(value: T?): T {
        assertNotNull(value)
        return value!!
    }
}

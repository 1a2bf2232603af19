package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The fixtures are manifest.json files written by the real exporter for tiny models
 * (android_demo/make_fixtures.py): a 4x4 NADE with a permuted ordering and a 2-layer GRU
 * CharRNN whose vocabulary holds a non-ASCII token.
 */
class ManifestTest {
    private val nadeText = TestManifests.load("manifest_nade.json")
    private val charText = TestManifests.load("manifest_charrnn.json")

    @Test
    fun parsesNadeManifest() {
        val manifest = ModelManifest.parse(nadeText)
        val model = manifest.model
        assertEquals(1, manifest.formatVersion)
        assertEquals("0.1.0", manifest.kerasArVersion)
        assertEquals("NADE", model.kind)
        assertEquals(16, model.inputDim)
        assertArrayEquals(intArrayOf(4, 4), model.imageShape)
        assertArrayEquals(intArrayOf(0, 6, 7, 2, 4, 5, 1, 3, 15, 11, 14, 10, 8, 12, 9, 13), model.ordering)
        assertEquals(6, model.dimensionAt(1))
        assertEquals(Distribution.BERNOULLI, model.distribution)
        assertNull(model.vocabulary)
        assertNull(model.numMasks)
        assertEquals(1, manifest.noiseSize)
        assertEquals("inverse_cdf", manifest.noiseConvention)
        assertFalse(manifest.noiseInitialState)
        assertEquals("model.tflite", manifest.tfliteFile)
        assertEquals(1, manifest.batchSize)
        assertNull(manifest.sequenceLength)
        assertEquals(listOf("running_preactivation", "position"), manifest.state.map { it.name })
        assertArrayEquals(intArrayOf(1, 8), manifest.state[0].shape)
        assertEquals(DType.INT32, manifest.state[1].dtype)
        val xPrev = manifest.step.input("x_prev")!!
        assertEquals(DType.FLOAT32, xPrev.dtype)
        assertArrayEquals(intArrayOf(1), xPrev.shape)
        assertArrayEquals(intArrayOf(1, 1), manifest.step.input("noise")!!.shape)
        assertArrayEquals(intArrayOf(1), manifest.step.input("temperature")!!.shape)
        assertEquals(
            listOf("new_running_preactivation", "new_position", "sample", "probs"),
            manifest.step.outputs.map { it.name }
        )
        val initial = manifest.initialState
        assertEquals(listOf("noise"), initial.inputs.map { it.name })
        assertArrayEquals(intArrayOf(1), initial.inputs[0].shape)
        assertEquals(listOf("running_preactivation", "position"), initial.outputs.map { it.name })
        assertEquals(16, manifest.signatures.getValue("log_prob").inputs[0].elementCount)
        assertArrayEquals(intArrayOf(1, 16, 1), manifest.signatures.getValue("sample").inputs[0].shape)
        val tflite = manifest.checksums.getValue("model.tflite")
        assertTrue(tflite.bytes > 0)
        assertEquals(64, tflite.sha256!!.length)
    }

    @Test
    fun parsesCharRnnManifest() {
        val manifest = ModelManifest.parse(charText)
        val model = manifest.model
        val vocabulary = assertNotNullAndGet(model.vocabulary)
        assertEquals("CharRNN", model.kind)
        assertNull(model.inputDim)
        assertNull(model.ordering)
        assertTrue(model.isText)
        assertEquals(Distribution.CATEGORICAL, model.distribution)
        assertEquals(11, model.numCategories)
        assertEquals(11, vocabulary.size)
        assertEquals(0, vocabulary.boundaryId)
        assertNull(vocabulary.unknownId)
        assertEquals("\u00e9", vocabulary.tokens[10]) // written as \u00e9 by json.dump
        assertEquals("clé", vocabulary.decode(vocabulary.encode("clé")))
        assertEquals(16, manifest.sequenceLength)
        assertEquals(listOf("hidden_0", "hidden_1"), manifest.state.map { it.name })
        assertEquals(DType.INT32, manifest.step.input("x_prev")!!.dtype)
        assertEquals(DType.INT32, manifest.step.output("sample")!!.dtype)
        assertArrayEquals(intArrayOf(1, 11), manifest.step.output("probs")!!.shape)
        assertEquals(DType.INT32, manifest.signatures.getValue("log_prob").inputs[0].dtype)
        assertNull(manifest.signatures["sample"])
    }

    @Test
    fun fixtureManifestsDriveASession() {
        val manifest = ModelManifest.parse(charText)
        val session = StepSession(object : StepModel {
            override fun initialState(bindings: StepBindings) {}
            override fun step(bindings: StepBindings) {
                bindings.outputs.getValue("probs").setFloat(3, 1f)
            }
        }, manifest)
        assertEquals(1, session.noiseSize)
        assertEquals(3f, session.step(0f, SeededUniforms(1), SamplingOptions()), 0f)
    }

    @Test
    fun ignoresUnknownKeysAndAcceptsOlderManifests() {
        val extra = nadeText.replaceFirst("{", "{\"future_key\": {\"nested\": [1, 2.5, null, true]},")
            .replace("\"initial_state\": false", "\"initial_state\": false, \"seed_bits\": 32")
        assertEquals("NADE", ModelManifest.parse(extra).model.kind)
        // Manifests without noise.initial_state, export or checksums (written before they existed).
        val old = ModelManifest.parse(
            nadeText.replace(",\n    \"initial_state\": false", "")
                .replace(Regex(",\\s*\"export\": \\{[^}]*\\}"), "")
                .replace(Regex(",\\s*\"checksums\": \\{.*\\}\\s*\\}\\s*$", RegexOption.DOT_MATCHES_ALL), "\n}")
        )
        assertFalse(old.noiseInitialState)
        assertNull(old.batchSize)
        assertTrue(old.checksums.isEmpty())
    }

    @Test(expected = ManifestException::class)
    fun rejectsOtherFormatVersions() {
        ModelManifest.parse(nadeText.replace("\"format_version\": 1", "\"format_version\": 2"))
    }

    @Test(expected = ManifestException::class)
    fun rejectsUnknownDistribution() {
        ModelManifest.parse(nadeText.replace("\"bernoulli\"", "\"poisson\""))
    }

    @Test(expected = ManifestException::class)
    fun rejectsANoiseConventionTheHostSamplerDoesNotImplement() {
        ModelManifest.parse(nadeText.replace("\"inverse_cdf\"", "\"gumbel_max\""))
    }

    @Test(expected = ManifestException::class)
    fun sessionNeedsNewStateOutputs() {
        val text = nadeText.replace("\"new_position\"", "\"position_out\"")
        StepSession(NoOpModel, ModelManifest.parse(text))
    }

    @Test(expected = ManifestException::class)
    fun sessionNeedsTheInitialStateSignature() {
        val text = nadeText.replace("\"initial_state\": {", "\"initial_state_v0\": {")
        StepSession(NoOpModel, ModelManifest.parse(text))
    }

    @Test(expected = ManifestException::class)
    fun sessionNeedsTheNoiseInputOfInitialState() {
        val text = nadeText.replaceFirst("\"name\": \"noise\"", "\"name\": \"seed\"")
        StepSession(NoOpModel, ModelManifest.parse(text))
    }

    @Test
    fun sessionRejectsBatchSizesOtherThanOne() {
        val manifest = ModelManifest.parse(nadeText.replace("\"batch_size\": 1", "\"batch_size\": 4"))
        try {
            StepSession(NoOpModel, manifest)
            throw AssertionError("batch size 4 accepted")
        } catch (e: ManifestException) {
            assertTrue(e.message!!, e.message!!.contains("batch_size=1"))
        }
    }

    @Test
    fun signatureCheckNamesTheDifferences() {
        val step = ModelManifest.parse(nadeText).step
        val inputs = step.inputs.map { it.name }
        val outputs = step.outputs.map { it.name }
        assertNull(SignatureCheck.mismatch("step", step, inputs.reversed(), outputs))
        val message = SignatureCheck.mismatch("step", step, inputs - "noise", outputs + "logits")!!
        assertTrue(message, message.contains("[noise]") && message.contains("[logits]"))
    }

    private fun <T> assertNotNullAndGet(value: T?): T {
        assertNotNull(value)
        return value!!
    }
}

package com.kerasar.demo.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * Replays sampling runs recorded from the real exported model.tflite under LiteRT
 * (android_demo/make_fixtures.py): StepSession, ImageSampleRun and TextGeneration must make
 * the recorded `initial_state` / `step` calls with bit-identical inputs and end with the
 * sample Keras draws for the same noise.
 */
class RecordedTraceTest {
    @Test
    fun nadeRunsReplay() {
        val runs = ContractCheck.replay(TestManifests.load("manifest_nade.json"), TestManifests.load("trace_nade.json"))
        assertEquals(
            listOf("sample_host_t1", "sample_graph_t0.8", "complete_top_half_host_t1", "complete_top_half_graph_t0.8"),
            runs
        )
    }

    @Test
    fun charRnnRunsReplay() {
        val runs = ContractCheck.replay(TestManifests.load("manifest_charrnn.json"), TestManifests.load("trace_charrnn.json"))
        assertEquals(3, runs.size)
    }

    @Test
    fun aZeroInitialStateIsCaught() {
        // The old app filled the state with zeros when initial_state failed; NADE's state is
        // the hidden bias, so the first step's inputs differ from the recording.
        val trace = TestManifests.load("trace_nade.json")
        val zeroed = trace.replaceFirst(Regex("\"outputs\":\\{\"running_preactivation\":\\[[^\\]]*\\]"), "\"outputs\":{\"running_preactivation\":[0,0,0,0,0,0,0,0]")
        assertTrue(zeroed != trace)
        try {
            ContractCheck.replay(TestManifests.load("manifest_nade.json"), zeroed)
        } catch (e: AssertionError) {
            return
        }
        throw AssertionError("a zero initial state went unnoticed")
    }

    @Test
    fun summaryIsJson() {
        val summary = ContractCheck.summarize(ModelManifest.parse(TestManifests.load("manifest_charrnn.json")))
        val parsed = Json.parse(ContractCheck.toJson(summary)) as Map<*, *>
        val vocabulary = (parsed["model"] as Map<*, *>)["vocabulary"] as Map<*, *>
        assertEquals("\u00e9", (vocabulary["tokens"] as List<*>).last())
        assertEquals(listOf("hidden_0", "hidden_1"), (parsed["session"] as Map<*, *>)["state"])
    }
}

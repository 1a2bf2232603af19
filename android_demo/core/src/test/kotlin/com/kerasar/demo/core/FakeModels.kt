package com.kerasar.demo.core

/** Manifests and tiny deterministic step models for host tests. */
object TestManifests {
    fun load(resource: String): String =
        TestManifests::class.java.getResource("/$resource")?.readText()
            ?: throw IllegalStateException("missing test resource $resource")

    /**
     * A Bernoulli image model with state `acc` float32 [1, 2] and `position` int32 [1];
     * [randomInitialState] sets `noise.initial_state` (as MADE with several masks).
     */
    fun image(width: Int, height: Int, ordering: IntArray? = null, randomInitialState: Boolean = false): ModelManifest {
        val dim = width * height
        val order = ordering?.joinToString(", ", "[", "]") ?: "null"
        val state = """
            {"name": "acc", "dtype": "float32", "shape": [1, 2]},
            {"name": "position", "dtype": "int32", "shape": [1]}"""
        return ModelManifest.parse("""
        {
          "format_version": 1,
          "model": {"kind": "NADE", "input_dim": $dim, "image_shape": [$height, $width],
                    "ordering": $order, "distribution": "bernoulli", "num_categories": null,
                    "num_components": null, "vocabulary": null},
          "noise": {"size": 1, "convention": "inverse_cdf", "initial_state": $randomInitialState},
          "files": {"tflite": "model.tflite"},
          "state": [$state],
          "signatures": {
            "initial_state": {
              "inputs": [{"name": "noise", "dtype": "float32", "shape": [1]}],
              "outputs": [$state]
            },
            "step": {
              "inputs": [$state,
                {"name": "x_prev", "dtype": "float32", "shape": [1]},
                {"name": "noise", "dtype": "float32", "shape": [1, 1]},
                {"name": "temperature", "dtype": "float32", "shape": [1]}],
              "outputs": [
                {"name": "new_acc", "dtype": "float32", "shape": [1, 2]},
                {"name": "new_position", "dtype": "int32", "shape": [1]},
                {"name": "probs", "dtype": "float32", "shape": [1]},
                {"name": "sample", "dtype": "float32", "shape": [1]}]
            }
          }
        }""")
    }

    /** A CharRNN over [tokens] (boundary id 0) with one state `hidden_0` float32 [1, 1]. */
    fun charRnn(tokens: List<String>): ModelManifest {
        val quoted = tokens.joinToString(", ", "[", "]") { "\"$it\"" }
        val k = tokens.size
        val state = """{"name": "hidden_0", "dtype": "float32", "shape": [1, 1]}"""
        return ModelManifest.parse("""
        {
          "format_version": 1,
          "model": {"kind": "CharRNN", "input_dim": null, "image_shape": null, "ordering": null,
                    "distribution": "categorical", "num_categories": $k, "num_components": null,
                    "vocabulary": {"tokens": $quoted, "boundary_id": 0, "unknown_id": null}},
          "noise": {"size": 1, "convention": "inverse_cdf", "initial_state": false},
          "files": {"tflite": "model.tflite"},
          "state": [$state],
          "signatures": {
            "initial_state": {
              "inputs": [{"name": "noise", "dtype": "float32", "shape": [1]}],
              "outputs": [$state]
            },
            "step": {
              "inputs": [$state,
                {"name": "x_prev", "dtype": "int32", "shape": [1]},
                {"name": "noise", "dtype": "float32", "shape": [1, 1]},
                {"name": "temperature", "dtype": "float32", "shape": [1]}],
              "outputs": [
                {"name": "new_hidden_0", "dtype": "float32", "shape": [1, 1]},
                {"name": "probs", "dtype": "float32", "shape": [1, $k]},
                {"name": "sample", "dtype": "int32", "shape": [1]}]
            }
          }
        }""")
    }
}

/**
 * Bernoulli image model: p at step i is [probability](i); `position` counts steps and
 * `acc` = [initialAcc + sum of x_prev after step 0, number of steps]. Its initial state is
 * not zeros when [initialAcc] != 0 (like NADE's hidden bias). It records what it was fed.
 */
class FakeImageModel(private val initialAcc: Float = 0f, private val probability: (Int) -> Float) : StepModel {
    val initialNoises = ArrayList<Float>()
    val positions = ArrayList<Int>()
    val xPrevs = ArrayList<Float>()
    val noises = ArrayList<Float>()
    val temperatures = ArrayList<Float>()
    val accSums = ArrayList<Float>()

    override fun initialState(bindings: StepBindings) {
        initialNoises.add(bindings.inputs.getValue("noise").getFloat(0))
        bindings.outputs.getValue("position").setInt(0, 0)
        bindings.outputs.getValue("acc").setFloat(0, initialAcc)
        bindings.outputs.getValue("acc").setFloat(1, 0f)
    }

    override fun step(bindings: StepBindings) {
        val input = bindings.inputs
        val output = bindings.outputs
        val position = input.getValue("position").getInt(0)
        val xPrev = input.getValue("x_prev").getFloat(0)
        val u = input.getValue("noise").getFloat(0)
        val t = input.getValue("temperature").getFloat(0)
        val acc = input.getValue("acc")
        positions.add(position)
        xPrevs.add(xPrev)
        noises.add(u)
        temperatures.add(t)
        accSums.add(acc.getFloat(0))
        val p = Sampling.applyTemperature(probability(position), t)
        output.getValue("new_position").setInt(0, position + 1)
        output.getValue("new_acc").setFloat(0, acc.getFloat(0) + if (position > 0) xPrev else 0f)
        output.getValue("new_acc").setFloat(1, acc.getFloat(1) + 1f)
        output.getValue("probs").setFloat(0, p)
        output.getValue("sample").setFloat(0, Sampling.bernoulli(p, u).toFloat())
    }
}

/**
 * Categorical char model. Its probabilities come from [distribution](xPrev, stepsSoFar)
 * where stepsSoFar is read from its state `hidden_0`; it records every x_prev.
 */
class FakeCharModel(private val size: Int, private val distribution: (Int, Int) -> FloatArray) : StepModel {
    val xPrevs = ArrayList<Int>()
    val temperatures = ArrayList<Float>()

    override fun initialState(bindings: StepBindings) {
        bindings.outputs.getValue("hidden_0").setFloat(0, 0f)
    }

    override fun step(bindings: StepBindings) {
        val xPrev = bindings.inputs.getValue("x_prev").getInt(0)
        val steps = Math.round(bindings.inputs.getValue("hidden_0").getFloat(0))
        val t = bindings.inputs.getValue("temperature").getFloat(0)
        xPrevs.add(xPrev)
        temperatures.add(t)
        val p = Sampling.applyTemperature(distribution(xPrev, steps), t)
        require(p.size == size)
        bindings.outputs.getValue("new_hidden_0").setFloat(0, (steps + 1).toFloat())
        bindings.outputs.getValue("probs").writeFloats(p)
        bindings.outputs.getValue("sample").setInt(0, Sampling.inverseCdf(p, bindings.inputs.getValue("noise").getFloat(0)))
    }

    companion object {
        fun oneHot(size: Int, index: Int): FloatArray = FloatArray(size) { if (it == index) 1f else 0f }
    }
}

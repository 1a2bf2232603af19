package com.kerasar.demo

import android.os.Bundle
import android.widget.Button
import android.widget.EditText
import android.widget.SeekBar
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import com.kerasar.demo.core.RunController
import com.kerasar.demo.core.SamplingOptions
import com.kerasar.demo.core.SeededUniforms
import com.kerasar.demo.core.TextGeneration
import com.kerasar.demo.core.Vocabulary
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Generates text with a CharRNN (assets/names): several items (names) or one long passage
 * (Shakespeare), continuing an optional prompt, with a temperature slider and top-k.
 *
 * The model lives in a [RunController]: one generation at a time, closed after the last one
 * when the screen is destroyed. Rotation does not recreate the screen (configChanges).
 */
class TextActivity : AppCompatActivity() {
    private lateinit var status: TextView
    private lateinit var output: TextView
    private lateinit var stats: TextView
    private lateinit var prompt: EditText
    private lateinit var topK: EditText
    private lateinit var temperatureLabel: TextView
    private lateinit var temperatureBar: SeekBar
    private val runs = RunController<LoadedModel>()
    private lateinit var generateButton: Button

    private val temperature: Float get() = temperatureBar.progress / 100f

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_text)
        fitSystemInsets(findViewById(R.id.text_root))
        status = findViewById(R.id.text_status)
        output = findViewById(R.id.text_output)
        stats = findViewById(R.id.text_stats)
        prompt = findViewById(R.id.text_prompt)
        topK = findViewById(R.id.text_top_k)
        temperatureLabel = findViewById(R.id.text_temperature_label)
        temperatureBar = findViewById(R.id.text_temperature)
        temperatureBar.setOnSeekBarChangeListener(object : SeekBar.OnSeekBarChangeListener {
            override fun onProgressChanged(bar: SeekBar, progress: Int, fromUser: Boolean) = showTemperature()
            override fun onStartTrackingTouch(bar: SeekBar) = Unit
            override fun onStopTrackingTouch(bar: SeekBar) = Unit
        })
        showTemperature()
        generateButton = findViewById(R.id.button_generate)
        generateButton.setOnClickListener { generate() }
        generateButton.isEnabled = false // until a model is loaded
        loadModel()
    }

    override fun onDestroy() {
        super.onDestroy()
        runs.close()
    }

    private fun showTemperature() {
        temperatureLabel.text = getString(R.string.temperature_value, temperature)
    }

    private fun loadModel() {
        lifecycleScope.launch {
            try {
                // Installed inside the IO block, so a screen destroyed meanwhile closes it.
                val loaded = withContext(Dispatchers.IO) {
                    val model = ModelAssets.load(this@TextActivity, ASSET_DIR)
                    if (model.manifest.model.vocabulary == null) {
                        model.close()
                        throw IllegalStateException("${model.manifest.model.kind} in assets/$ASSET_DIR has no vocabulary")
                    }
                    if (runs.install(model)) model else null
                } ?: return@launch
                val vocabulary = loaded.manifest.model.vocabulary!!
                generateButton.isEnabled = true
                status.text = getString(R.string.text_ready, loaded.manifest.model.kind, vocabulary.size)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                status.text = e.message ?: e.toString()
            } catch (e: LinkageError) { // LiteRT's native library is missing for this device
                status.text = getString(R.string.runtime_missing, e.toString())
            }
        }
    }

    private fun generate() {
        val vocabulary = runs.current?.manifest?.model?.vocabulary ?: return
        val promptIds = try {
            encodePrompt(vocabulary, prompt.text.toString())
        } catch (e: IllegalArgumentException) {
            stats.text = e.message
            return
        }
        val options = SamplingOptions(temperature = temperature, topK = topK.text.toString().toIntOrNull() ?: 0)
        runs.launch(lifecycleScope, ::showError) { loaded ->
            output.text = ""
            stats.text = getString(R.string.sampling)
            val promptText = vocabulary.decode(promptIds)
            var characters = 0
            val nanos = withContext(Dispatchers.Default) {
                val uniforms = SeededUniforms(System.nanoTime())
                var computeNanos = 0L
                val finished = StringBuilder()
                var items = 0
                while (items < MAX_ITEMS && characters < MAX_CHARACTERS) {
                    val generation = TextGeneration(
                        loaded.session, uniforms, options, promptIds, MAX_CHARACTERS - characters
                    )
                    val item = StringBuilder(promptText)
                    var unshown = 0
                    while (!generation.isDone) {
                        ensureActive()
                        val start = System.nanoTime()
                        val id = generation.next()
                        computeNanos += System.nanoTime() - start
                        if (id != null) {
                            item.append(vocabulary.decode(id))
                            characters++
                            unshown++
                        }
                        if (id == null || unshown >= FLUSH_EVERY || generation.isDone) {
                            val text = finished.toString() + item
                            withContext(Dispatchers.Main) { output.text = text }
                            unshown = 0
                        }
                    }
                    finished.append(item).append('\n')
                    items++
                    if (!generation.endedOnBoundary) break // a long passage, not a list of items
                }
                computeNanos
            }
            val seconds = nanos / 1e9
            stats.text = getString(R.string.text_stats, characters, if (seconds > 0) characters / seconds else 0.0)
        }
    }

    private fun showError(e: Exception) {
        stats.text = getString(R.string.run_failed, e.message ?: e.toString())
    }

    /** Encodes the prompt, lower-casing it if that is what the vocabulary knows. */
    private fun encodePrompt(vocabulary: Vocabulary, text: String): IntArray {
        if (vocabulary.unknownCharacters(text).isEmpty() || vocabulary.unknownId != null) return vocabulary.encode(text)
        val lower = text.lowercase()
        if (vocabulary.unknownCharacters(lower).isEmpty()) return vocabulary.encode(lower)
        throw IllegalArgumentException(
            getString(R.string.unknown_characters, vocabulary.unknownCharacters(text).joinToString(" "))
        )
    }

    companion object {
        const val ASSET_DIR = "names"
        private const val MAX_ITEMS = 12
        private const val MAX_CHARACTERS = 600
        private const val FLUSH_EVERY = 8
    }
}

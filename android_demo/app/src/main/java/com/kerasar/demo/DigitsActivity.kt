package com.kerasar.demo

import android.os.Bundle
import android.widget.Button
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import com.kerasar.demo.core.Distribution
import com.kerasar.demo.core.ImageSampleRun
import com.kerasar.demo.core.ModelManifest
import com.kerasar.demo.core.PixelArt
import com.kerasar.demo.core.Presets
import com.kerasar.demo.core.RunController
import com.kerasar.demo.core.SamplingOptions
import com.kerasar.demo.core.SeededUniforms
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Samples a binary image model (assets/digits: NADE on the binarized 8x8 digits from
 * make_assets.py, or any Bernoulli model such as NADE on binarized MNIST) pixel by pixel,
 * drawn as it grows, either from scratch or completing a top half that the user drew or
 * picked from a preset. The image size comes from the manifest's `image_shape`.
 *
 * The model lives in a [RunController]: one sampling job at a time, closed after the last
 * job when the screen is destroyed. Rotation does not recreate the screen (configChanges in
 * the manifest), so the model is loaded once.
 */
class DigitsActivity : AppCompatActivity() {
    private val runs = RunController<LoadedModel>()
    private lateinit var grid: PixelGridView
    private lateinit var status: TextView
    private lateinit var stats: TextView
    private lateinit var buttons: List<Button>
    private var job: Job? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_digits)
        fitSystemInsets(findViewById(R.id.digits_root))
        grid = findViewById(R.id.pixel_grid)
        status = findViewById(R.id.digits_status)
        stats = findViewById(R.id.digits_stats)
        grid.onDrawingChanged = { showDrawing() }
        val sample = findViewById<Button>(R.id.button_sample)
        val complete = findViewById<Button>(R.id.button_complete)
        val zero = findViewById<Button>(R.id.button_preset_zero)
        val seven = findViewById<Button>(R.id.button_preset_seven)
        val clear = findViewById<Button>(R.id.button_clear)
        sample.setOnClickListener { sample(conditional = false) }
        complete.setOnClickListener { sample(conditional = true) }
        zero.setOnClickListener { grid.applyPreset(Presets::zeroTopHalf) }
        seven.setOnClickListener { grid.applyPreset(Presets::sevenTopHalf) }
        clear.setOnClickListener { grid.clearDrawing() }
        buttons = listOf(sample, complete, zero, seven, clear)
        for (button in buttons) button.isEnabled = false // until a model is loaded
        loadModel()
    }

    override fun onDestroy() {
        super.onDestroy()
        runs.close()
    }

    private fun loadModel() {
        lifecycleScope.launch {
            try {
                // Installed inside the IO block, so a screen destroyed meanwhile closes it.
                val loaded = withContext(Dispatchers.IO) {
                    val model = ModelAssets.load(this@DigitsActivity, ASSET_DIR)
                    val problem = imageModelProblem(model.manifest)
                    if (problem != null) {
                        model.close()
                        throw IllegalStateException(problem)
                    }
                    if (runs.install(model)) model else null
                } ?: return@launch
                val info = loaded.manifest.model
                val shape = info.imageShape!!
                grid.setImageSize(shape[1], shape[0])
                grid.drawingEnabled = true
                for (button in buttons) button.isEnabled = true
                status.text = getString(R.string.digits_ready, info.kind, shape[1], shape[0])
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                status.text = e.message ?: e.toString()
            } catch (e: LinkageError) { // LiteRT's native library is missing for this device
                status.text = getString(R.string.runtime_missing, e.toString())
            }
        }
    }

    private fun imageModelProblem(manifest: ModelManifest): String? {
        val info = manifest.model
        val shape = info.imageShape
        return when {
            shape == null || shape.size != 2 -> "${info.kind} has no 2-d image_shape"
            info.distribution != Distribution.BERNOULLI ->
                "${info.kind} in assets/$ASSET_DIR is not a binary image model (${info.distribution.manifestName})"
            else -> null
        }
    }

    private fun showDrawing() {
        if (job?.isActive == true) return
        val observed = Presets.topHalfMask(grid.imageWidth, grid.imageHeight)
        grid.setPixels(PixelArt.toArgb(grid.drawing.values, filled = observed, observed = observed))
    }

    private fun sample(conditional: Boolean) {
        val width = grid.imageWidth
        val height = grid.imageHeight
        if (width == 0 || height == 0) return
        val given = if (conditional) grid.drawing.values.copyOf() else null
        val observed = if (conditional) Presets.topHalfMask(width, height) else null
        job = runs.launch(lifecycleScope, ::showError) { loaded ->
            stats.text = getString(R.string.sampling)
            val nanos = withContext(Dispatchers.Default) {
                val run = ImageSampleRun(loaded.session, SeededUniforms(System.nanoTime()), SamplingOptions(), given, observed)
                val frame = IntArray(run.length)
                var computeNanos = 0L
                while (!run.isDone) {
                    ensureActive()
                    val start = System.nanoTime()
                    var n = 0
                    while (n < width && !run.isDone) {
                        run.stepOnce()
                        n++
                    }
                    computeNanos += System.nanoTime() - start
                    PixelArt.toArgb(run.values, run.filled, observed, frame)
                    val pixels = frame.copyOf()
                    withContext(Dispatchers.Main) { grid.setPixels(pixels) }
                    delay(ROW_DELAY_MS) // lets the image visibly grow; excluded from the timing
                }
                computeNanos
            }
            val steps = width * height
            stats.text = getString(R.string.digits_stats, nanos / 1e6, nanos / 1e3 / steps)
        }
    }

    private fun showError(e: Exception) {
        stats.text = getString(R.string.run_failed, e.message ?: e.toString())
    }

    companion object {
        const val ASSET_DIR = "digits"
        private const val ROW_DELAY_MS = 30L
    }
}

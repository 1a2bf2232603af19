package com.kerasar.demo

import android.os.Bundle
import android.widget.Button
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import com.kerasar.demo.core.Distribution
import com.kerasar.demo.core.ImageSampleRun
import com.kerasar.demo.core.PixelArt
import com.kerasar.demo.core.Presets
import com.kerasar.demo.core.SamplingOptions
import com.kerasar.demo.core.SeededUniforms
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Samples a binary image model (assets/digits: NADE on the binarized 8x8 digits from
 * make_assets.py, or any Bernoulli model such as NADE on binarized MNIST) pixel by pixel,
 * drawn as it grows, either from scratch or completing a top half that the user drew or
 * picked from a preset. The image size comes from the manifest's `image_shape`.
 */
class DigitsActivity : AppCompatActivity() {
    private lateinit var grid: PixelGridView
    private lateinit var status: TextView
    private lateinit var stats: TextView
    private var model: LoadedModel? = null
    private var job: Job? = null
    private var width = 8
    private var height = 8

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_digits)
        grid = findViewById(R.id.pixel_grid)
        status = findViewById(R.id.digits_status)
        stats = findViewById(R.id.digits_stats)
        grid.onDrawingChanged = { showDrawing() }
        findViewById<Button>(R.id.button_sample).setOnClickListener { sample(conditional = false) }
        findViewById<Button>(R.id.button_complete).setOnClickListener { sample(conditional = true) }
        findViewById<Button>(R.id.button_preset_zero).setOnClickListener {
            grid.setDrawing(Presets.zeroTopHalf(width, height))
        }
        findViewById<Button>(R.id.button_preset_seven).setOnClickListener {
            grid.setDrawing(Presets.sevenTopHalf(width, height))
        }
        findViewById<Button>(R.id.button_clear).setOnClickListener { grid.setDrawing(FloatArray(width * height)) }
        loadModel()
    }

    override fun onDestroy() {
        super.onDestroy()
        closeAfter(job, model)
    }

    private fun loadModel() {
        lifecycleScope.launch {
            try {
                val loaded = withContext(Dispatchers.IO) { ModelAssets.load(this@DigitsActivity, ASSET_DIR) }
                val info = loaded.manifest.model
                val shape = info.imageShape
                val problem = when {
                    shape == null || shape.size != 2 -> "${info.kind} has no 2-d image_shape"
                    info.distribution != Distribution.BERNOULLI ->
                        "${info.kind} in assets/$ASSET_DIR is not a binary image model (${info.distribution.manifestName})"
                    else -> null
                }
                if (problem != null || shape == null) {
                    loaded.close()
                    throw IllegalStateException(problem)
                }
                height = shape[0]
                width = shape[1]
                model = loaded
                grid.setImageSize(width, height)
                grid.drawableRows = height / 2
                grid.drawingEnabled = true
                status.text = getString(R.string.digits_ready, info.kind, width, height)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                status.text = e.message
            }
        }
    }

    private fun showDrawing() {
        if (job?.isActive == true) return
        val observed = Presets.topHalfMask(width, height)
        grid.setPixels(PixelArt.toArgb(grid.drawing, filled = observed, observed = observed))
    }

    private fun sample(conditional: Boolean) {
        val loaded = model ?: return
        val previous = job
        val given = if (conditional) grid.drawing.copyOf() else null
        val observed = if (conditional) Presets.topHalfMask(width, height) else null
        job = lifecycleScope.launch {
            previous?.cancelAndJoin()
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

    companion object {
        const val ASSET_DIR = "digits"
        private const val ROW_DELAY_MS = 30L
    }
}

package com.kerasar.demo

import android.content.Context
import com.kerasar.demo.core.ModelManifest
import com.kerasar.demo.core.StepSession
import java.io.Closeable
import java.io.FileInputStream
import java.io.FileNotFoundException
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel

/** A model exported by keras-ar, loaded from `assets/<dir>/` (manifest.json + model.tflite). */
class LoadedModel(val manifest: ModelManifest, private val runtime: LiteRtStepModel) : Closeable {
    val session = StepSession(runtime, manifest)

    override fun close() {
        runtime.close()
    }
}

class ModelNotInstalledException(dir: String) : Exception(
    "No model in assets/$dir.\nExport one with:\n" +
        "python android_demo/make_assets.py\nor\n" +
        "keras-ar export MODEL.keras --out android_demo/app/src/main/assets/$dir --formats tflite\n" +
        "then rebuild the app."
)

object ModelAssets {
    private const val MANIFEST = "manifest.json"

    /** Loads `assets/<dir>`; blocking (call it off the main thread). */
    fun load(context: Context, dir: String): LoadedModel {
        val assets = context.assets
        val files = assets.list(dir).orEmpty()
        if (MANIFEST !in files) throw ModelNotInstalledException(dir)
        val manifest = ModelManifest.parse(assets.open("$dir/$MANIFEST").bufferedReader().use { it.readText() })
        val tflite = manifest.tfliteFile
            ?: throw IllegalStateException("assets/$dir was exported without TFLite: export with --formats tflite")
        if (tflite !in files) throw ModelNotInstalledException(dir)
        val buffer = map(context, "$dir/$tflite")
        val expected = manifest.checksums[tflite]?.bytes
        if (expected != null && expected != buffer.capacity().toLong()) {
            throw IllegalStateException(
                "assets/$dir/$tflite has ${buffer.capacity()} bytes, manifest.json says $expected: " +
                    "copy the whole export again"
            )
        }
        val runtime = LiteRtStepModel(buffer, manifest)
        return try {
            LoadedModel(manifest, runtime)
        } catch (e: RuntimeException) {
            runtime.close()
            throw e
        }
    }

    private fun map(context: Context, path: String): MappedByteBuffer {
        val descriptor = try {
            context.assets.openFd(path)
        } catch (e: FileNotFoundException) {
            throw IllegalStateException("$path is compressed in the APK; keep noCompress(\"tflite\")", e)
        }
        return descriptor.use { fd ->
            FileInputStream(fd.fileDescriptor).use { stream ->
                stream.channel.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
            }
        }
    }
}

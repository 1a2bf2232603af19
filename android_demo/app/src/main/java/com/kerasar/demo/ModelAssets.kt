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
        "keras-ar export MODEL.keras --out android_demo/app/src/main/assets/$dir\nthen rebuild the app."
)

object ModelAssets {
    private const val MANIFEST = "manifest.json"
    private const val DEFAULT_TFLITE = "model.tflite"

    /** Loads `assets/<dir>`; blocking (call it off the main thread). */
    fun load(context: Context, dir: String): LoadedModel {
        val assets = context.assets
        val files = assets.list(dir).orEmpty()
        if (MANIFEST !in files) throw ModelNotInstalledException(dir)
        val manifest = ModelManifest.parse(assets.open("$dir/$MANIFEST").bufferedReader().use { it.readText() })
        val tflite = manifest.tfliteFile ?: DEFAULT_TFLITE
        if (tflite !in files) throw ModelNotInstalledException(dir)
        return LoadedModel(manifest, LiteRtStepModel(map(context, "$dir/$tflite")))
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

package com.kerasar.demo.core

import java.nio.Buffer
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** Element types that appear in the step signature (docs/manifest.md). */
enum class DType(val manifestName: String, val byteSize: Int) {
    FLOAT32("float32", 4),
    INT32("int32", 4);

    companion object {
        fun fromManifest(name: String): DType =
            values().firstOrNull { it.manifestName == name }
                ?: throw ManifestException("unsupported dtype '$name'")
    }
}

/** Name, dtype and static shape of one signature input or output. */
class TensorSpec(val name: String, val dtype: DType, val shape: IntArray) {
    val elementCount: Int = shape.fold(1) { acc, d -> acc * d }

    override fun toString(): String = "$name:${dtype.manifestName}${shape.contentToString()}"
}

/**
 * A preallocated direct buffer in native byte order holding one tensor, the form the
 * LiteRT Interpreter reads and writes without copies or shape checks.
 *
 * Reads and writes are absolute (by element index), so the buffer position never matters
 * to this class; a runtime that moves it may [rewind].
 */
class TensorBuffer(val spec: TensorSpec) {
    val buffer: ByteBuffer =
        ByteBuffer.allocateDirect(spec.elementCount * spec.dtype.byteSize).order(ByteOrder.nativeOrder())

    val size: Int get() = spec.elementCount

    fun getFloat(index: Int): Float = when (spec.dtype) {
        DType.FLOAT32 -> buffer.getFloat(index * 4)
        DType.INT32 -> buffer.getInt(index * 4).toFloat()
    }

    fun setFloat(index: Int, value: Float) {
        when (spec.dtype) {
            DType.FLOAT32 -> buffer.putFloat(index * 4, value)
            DType.INT32 -> buffer.putInt(index * 4, Math.round(value))
        }
    }

    fun getInt(index: Int): Int = when (spec.dtype) {
        DType.FLOAT32 -> Math.round(buffer.getFloat(index * 4))
        DType.INT32 -> buffer.getInt(index * 4)
    }

    fun setInt(index: Int, value: Int) {
        when (spec.dtype) {
            DType.FLOAT32 -> buffer.putFloat(index * 4, value.toFloat())
            DType.INT32 -> buffer.putInt(index * 4, value)
        }
    }

    /** Copies the first [size] elements into [out] as floats (int tensors are converted). */
    fun readFloats(out: FloatArray) {
        for (i in 0 until size) out[i] = getFloat(i)
    }

    fun writeFloats(values: FloatArray) {
        require(values.size == size) { "${spec.name} holds $size values, got ${values.size}" }
        for (i in values.indices) setFloat(i, values[i])
    }

    fun fillZero() {
        for (i in 0 until size * spec.dtype.byteSize) buffer.put(i, 0)
    }

    /**
     * Rewinds through [Buffer]: compiled against JDK 9+, `ByteBuffer.rewind()` binds to the
     * covariant `ByteBuffer rewind()` that Android lacks before API 34 unless desugared.
     */
    fun rewind() {
        val plain: Buffer = buffer
        plain.rewind()
    }
}

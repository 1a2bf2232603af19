package com.kerasar.demo.core

/**
 * Turns image values into ARGB pixels (0xAARRGGBB, the layout of android.graphics.Bitmap
 * setPixels): white ink on black for sampled pixels, a blue tint for observed (given)
 * pixels, a dark slate for pixels not filled yet.
 */
object PixelArt {
    const val UNFILLED: Int = 0xFF263238.toInt()
    private const val OPAQUE: Int = 0xFF000000.toInt()

    /** Grey level of a value in [0, 1] (clamped): 0 -> black, 1 -> white. */
    fun grey(value: Float): Int {
        val level = Math.round(value.coerceIn(0f, 1f) * 255f)
        return OPAQUE or (level shl 16) or (level shl 8) or level
    }

    /** Observed pixels: same brightness ramp, but blue-tinted so they stand apart. */
    fun tinted(value: Float): Int {
        val level = value.coerceIn(0f, 1f)
        val r = Math.round(20 + level * 110)
        val g = Math.round(40 + level * 160)
        val b = Math.round(90 + level * 165)
        return OPAQUE or (r shl 16) or (g shl 8) or b
    }

    /**
     * Writes one ARGB pixel per dimension into [out] (raster order, `width * height`).
     * [filled] marks dimensions that have a value; [observed] marks given ones.
     */
    fun toArgb(
        values: FloatArray,
        filled: BooleanArray? = null,
        observed: BooleanArray? = null,
        out: IntArray = IntArray(values.size)
    ): IntArray {
        require(out.size >= values.size)
        for (i in values.indices) {
            out[i] = when {
                observed != null && observed[i] -> tinted(values[i])
                filled != null && !filled[i] -> UNFILLED
                else -> grey(values[i])
            }
        }
        return out
    }
}

package com.kerasar.demo.core

/**
 * The ink a user draws on the top half of a binary image, for "complete the top half".
 *
 * Empty (0 x 0) until an image model is loaded: then presets, clearing and ink are no-ops,
 * never errors, so the buttons of a screen without a model cannot crash it.
 */
class TopHalfDrawing {
    var width: Int = 0
        private set
    var height: Int = 0
        private set

    /** Ink (1) or not (0) per pixel, raster order; `width * height` values. */
    var values: FloatArray = FloatArray(0)
        private set

    /** Rows that take ink: the top half, `height / 2`. */
    val drawableRows: Int get() = height / 2

    val isEmpty: Boolean get() = values.isEmpty()

    /** Square brush of about 1/14 of the width: 2x2 at 28x28 (an MNIST stroke), 1x1 at 8x8. */
    val brush: Int get() = maxOf(1, width / 14)

    /** Starts a blank drawing of [width] x [height]. */
    fun resize(width: Int, height: Int) {
        require(width >= 0 && height >= 0) { "image size $width x $height" }
        this.width = width
        this.height = height
        values = FloatArray(width * height)
    }

    /**
     * Replaces the drawing by `preset(width, height)` (e.g. [Presets.zeroTopHalf]); false,
     * and nothing changes, while the drawing is empty.
     */
    fun applyPreset(preset: (Int, Int) -> FloatArray): Boolean {
        if (isEmpty) return false
        val drawn = preset(width, height)
        require(drawn.size == values.size) { "preset has ${drawn.size} values, the image ${values.size}" }
        drawn.copyInto(values)
        return true
    }

    /** Erases all ink; false while the drawing is empty. */
    fun clear(): Boolean {
        if (isEmpty) return false
        values.fill(0f)
        return true
    }

    /**
     * Inks the brush at a point given as fractions of the view ([fx], [fy] in [0, 1)); only
     * pixels of the top half change. Returns whether a pixel was inside the top half.
     */
    fun inkAt(fx: Float, fy: Float): Boolean {
        if (isEmpty) return false
        val col = Math.floor((fx * width).toDouble()).toInt()
        val row = Math.floor((fy * height).toDouble()).toInt()
        var inked = false
        for (r in row until row + brush) for (c in col until col + brush) {
            if (r in 0 until drawableRows && c in 0 until width) {
                values[r * width + c] = 1f
                inked = true
            }
        }
        return inked
    }
}

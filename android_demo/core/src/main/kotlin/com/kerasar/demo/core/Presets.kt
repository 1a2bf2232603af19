package com.kerasar.demo.core

/** Conditioning inputs for "complete the top half" on a binary image of [width] x [height]. */
object Presets {
    /** Observed mask: every pixel of the top half (rows < height / 2). */
    fun topHalfMask(width: Int, height: Int): BooleanArray =
        BooleanArray(width * height) { i -> i / width < height / 2 }

    /** Top half of a "0": an elliptic ring; the bottom half is left at 0. */
    fun zeroTopHalf(width: Int, height: Int): FloatArray = FloatArray(width * height) { i ->
        val row = i / width
        val col = i % width
        val dx = (col + 0.5 - width / 2.0) / (width * 0.26)
        val dy = (row + 0.5 - height / 2.0) / (height * 0.36)
        val r = Math.sqrt(dx * dx + dy * dy)
        if (row < height / 2 && r in 0.72..1.12) 1f else 0f
    }

    /**
     * Top half of a "7": a bar at about a fifth of the height and the start of the diagonal.
     * Strokes scale with the image: 3 pixels thick at 28x28, 1 pixel at 8x8.
     */
    fun sevenTopHalf(width: Int, height: Int): FloatArray = FloatArray(width * height) { i ->
        val row = i / width
        val col = i % width
        val barTop = height / 5
        val barRows = maxOf(1, Math.round(height * 3 / 28f))
        val stemHalfWidth = if (width >= 16) 1 else 0
        val left = width / 4
        val right = width - width / 4
        val onBar = row in barTop until barTop + barRows && col in left..right
        val stemCol = right - (row - barTop) * (right - width / 2) / maxOf(1, height - barTop)
        val onStem = row >= barTop + barRows && Math.abs(col - stemCol) <= stemHalfWidth
        if (row < height / 2 && (onBar || onStem)) 1f else 0f
    }
}

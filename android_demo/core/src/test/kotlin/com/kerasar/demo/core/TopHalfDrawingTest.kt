package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class TopHalfDrawingTest {
    @Test
    fun presetsClearAndInkAreNoOpsBeforeAModelIsLoaded() {
        val drawing = TopHalfDrawing() // a screen whose model is missing or still loading
        assertFalse(drawing.applyPreset(Presets::zeroTopHalf))
        assertFalse(drawing.applyPreset(Presets::sevenTopHalf))
        assertFalse(drawing.clear())
        assertFalse(drawing.inkAt(0.1f, 0.1f))
        assertEquals(0, drawing.values.size)
    }

    @Test
    fun presetsFillOnlyTheTopHalfOfTheLoadedSize() {
        val drawing = TopHalfDrawing()
        drawing.resize(8, 8)
        assertTrue(drawing.applyPreset(Presets::sevenTopHalf))
        assertArrayEquals(Presets.sevenTopHalf(8, 8), drawing.values, 0f)
        assertTrue(drawing.values.sum() > 0f)
        for (i in 32 until 64) assertEquals(0f, drawing.values[i], 0f)
        assertTrue(drawing.clear())
        assertEquals(0f, drawing.values.sum(), 0f)
        assertFalse(runCatching { drawing.applyPreset { _, _ -> FloatArray(3) } }.isSuccess)
    }

    @Test
    fun inkLandsUnderTheFingerInTheTopHalfOnly() {
        val drawing = TopHalfDrawing()
        drawing.resize(8, 8)
        assertTrue(drawing.inkAt(0.30f, 0.40f)) // column 2, row 3
        assertEquals(1f, drawing.values[3 * 8 + 2], 0f)
        assertEquals(1f, drawing.values.sum(), 0f)
        assertFalse(drawing.inkAt(0.30f, 0.60f)) // row 4: bottom half
        assertFalse(drawing.inkAt(1.2f, 0.1f))
        assertEquals(1f, drawing.values.sum(), 0f)

        drawing.resize(28, 28)
        assertEquals(2, drawing.brush)
        assertTrue(drawing.inkAt(0.5f, 0.48f)) // row 13, column 14: the brush's lower row 14 is not drawable
        assertEquals(2f, drawing.values.sum(), 0f)
    }
}

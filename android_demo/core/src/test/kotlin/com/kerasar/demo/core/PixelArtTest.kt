package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class PixelArtTest {
    @Test
    fun mapsValuesToOpaqueGrey() {
        assertEquals(0xFF000000.toInt(), PixelArt.grey(0f))
        assertEquals(0xFFFFFFFF.toInt(), PixelArt.grey(1f))
        assertEquals(0xFF808080.toInt(), PixelArt.grey(0.5f))
        assertEquals(PixelArt.grey(1f), PixelArt.grey(7f))
        assertEquals(PixelArt.grey(0f), PixelArt.grey(-1f))
    }

    @Test
    fun marksUnfilledAndObservedPixels() {
        val values = floatArrayOf(1f, 0f, 1f, 0f)
        val filled = booleanArrayOf(true, true, true, false)
        val observed = booleanArrayOf(true, false, false, false)
        val argb = PixelArt.toArgb(values, filled, observed)
        assertArrayEquals(intArrayOf(PixelArt.tinted(1f), PixelArt.grey(0f), PixelArt.grey(1f), PixelArt.UNFILLED), argb)
        assertTrue(PixelArt.tinted(1f) != PixelArt.grey(1f))
    }

    @Test
    fun writesIntoAGivenArray() {
        val out = IntArray(2)
        PixelArt.toArgb(floatArrayOf(1f, 1f), out = out)
        assertArrayEquals(intArrayOf(-1, -1), out)
    }

    @Test
    fun presetsOnlyTouchTheTopHalf() {
        val mask = Presets.topHalfMask(28, 28)
        assertEquals(28 * 14, mask.count { it })
        for (preset in listOf(Presets.zeroTopHalf(28, 28), Presets.sevenTopHalf(28, 28))) {
            assertTrue(preset.count { it == 1f } > 20)
            for (i in preset.indices) if (!mask[i]) assertEquals(0f, preset[i], 0f)
        }
    }

    @Test
    fun presetsAt8x8LookLikeTheirDigits() {
        fun draw(values: FloatArray): List<String> =
            (0 until 4).map { r -> (0 until 8).joinToString("") { c -> if (values[r * 8 + c] == 1f) "#" else "." } }
        assertEquals(listOf("........", "...##...", "..#..#..", "..#..#.."), draw(Presets.zeroTopHalf(8, 8)))
        assertEquals(listOf("........", "..#####.", "......#.", "......#."), draw(Presets.sevenTopHalf(8, 8)))
        val seven = Presets.sevenTopHalf(8, 8)
        for (i in 32 until 64) assertEquals(0f, seven[i], 0f)
    }
}

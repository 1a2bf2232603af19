package com.kerasar.demo.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class JsonTest {
    @Test
    fun parsesNestedValues() {
        val value = Json.parse("""{"a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d"}, "e": []}""")
        val map = value as Map<*, *>
        assertEquals(listOf(1L, -2L, 3.5, 1000.0, true, false, null), map["a"])
        assertEquals(mapOf("c" to "d"), map["b"])
        assertEquals(emptyList<Any?>(), map["e"])
    }

    @Test
    fun keepsKeyOrder() {
        val map = Json.parse("""{"z": 1, "a": 2, "m": 3}""") as Map<*, *>
        assertEquals(listOf("z", "a", "m"), map.keys.toList())
    }

    @Test
    fun decodesEscapes() {
        assertEquals("a\"b\\c/d\n\t\u00e9\u0000", Json.parse("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u0000\""))
    }

    @Test
    fun parsesScalarsAtTopLevel() {
        assertNull(Json.parse(" null "))
        assertEquals(0L, Json.parse("0"))
        assertEquals(-0.25, Json.parse("-2.5E-1"))
    }

    @Test
    fun rejectsMalformedInput() {
        for (bad in listOf("", "{", "[1,]", "{\"a\" 1}", "[1] 2", "\"abc", "tru", "{\"a\":1,}", "[01x]", "\"\\q\"")) {
            var failed = false
            try {
                Json.parse(bad)
            } catch (e: JsonException) {
                failed = true
            }
            assertTrue("expected a JsonException for <$bad>", failed)
        }
    }
}

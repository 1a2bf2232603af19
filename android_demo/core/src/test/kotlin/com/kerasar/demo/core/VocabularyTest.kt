package com.kerasar.demo.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

class VocabularyTest {
    private val vocabulary = Vocabulary(listOf("<b>", "a", "b", " ", "\u00e9", "?"), boundaryId = 0, unknownId = null)

    @Test
    fun encodesAndDecodes() {
        val ids = vocabulary.encode("ab \u00e9a")
        assertArrayEquals(intArrayOf(1, 2, 3, 4, 1), ids)
        assertEquals("ab \u00e9a", vocabulary.decode(ids))
    }

    @Test
    fun writesTheBoundaryAsTheGivenSeparator() {
        assertEquals("a\nb", vocabulary.decode(intArrayOf(1, 0, 2)))
        assertEquals("a | b", vocabulary.decode(intArrayOf(1, 0, 2), boundary = " | "))
    }

    @Test
    fun theBoundaryTokenTextIsNotACharacter() {
        assertEquals(setOf('<', '>', 'z'), vocabulary.unknownCharacters("<a>z"))
    }

    @Test(expected = IllegalArgumentException::class)
    fun unknownCharacterWithoutUnknownIdFails() {
        vocabulary.encode("az")
    }

    @Test
    fun unknownCharacterMapsToUnknownId() {
        val withUnknown = Vocabulary(vocabulary.tokens, boundaryId = 0, unknownId = 5)
        assertArrayEquals(intArrayOf(1, 5, 2), withUnknown.encode("azb"))
    }

    @Test(expected = IllegalArgumentException::class)
    fun decodingAnIdOutsideTheVocabularyFails() {
        vocabulary.decode(intArrayOf(6))
    }
}

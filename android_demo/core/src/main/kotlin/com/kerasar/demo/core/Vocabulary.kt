package com.kerasar.demo.core

/**
 * Character vocabulary of a CharRNN. [boundaryId] is both the implicit start token and the
 * explicit end-of-item token; [unknownId] (if any) replaces characters outside the vocabulary.
 */
class Vocabulary(val tokens: List<String>, val boundaryId: Int, val unknownId: Int?) {
    private val idByToken: Map<String, Int> =
        tokens.withIndex().filter { it.index != boundaryId }.associate { it.value to it.index }

    val size: Int get() = tokens.size

    init {
        require(boundaryId in tokens.indices) { "boundary_id $boundaryId outside the vocabulary" }
        require(unknownId == null || unknownId in tokens.indices) { "unknown_id $unknownId outside the vocabulary" }
    }

    /** Characters of [text] that have no token (and would fail [encode] without an unknown id). */
    fun unknownCharacters(text: String): Set<Char> = text.filter { it.toString() !in idByToken }.toSet()

    /** One id per character; characters outside the vocabulary map to [unknownId] or throw. */
    fun encode(text: String): IntArray = IntArray(text.length) { i ->
        val ch = text[i].toString()
        idByToken[ch] ?: unknownId
            ?: throw IllegalArgumentException("character '$ch' is not in the vocabulary")
    }

    /** Joins the tokens of [ids]; the boundary token is written as [boundary]. */
    fun decode(ids: IntArray, boundary: String = "\n"): String {
        val out = StringBuilder()
        for (id in ids) out.append(decode(id, boundary))
        return out.toString()
    }

    fun decode(id: Int, boundary: String = "\n"): String {
        require(id in tokens.indices) { "token id $id outside the vocabulary of ${tokens.size}" }
        return if (id == boundaryId) boundary else tokens[id]
    }
}

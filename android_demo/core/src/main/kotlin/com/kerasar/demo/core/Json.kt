package com.kerasar.demo.core

/**
 * A small JSON reader, enough for manifest.json, so that the core needs no library.
 *
 * Values map to: object -> Map<String, Any?> (insertion ordered), array -> List<Any?>,
 * string -> String, number -> Long (integer literal) or Double, true/false -> Boolean,
 * null -> null.
 */
object Json {
    fun parse(text: String): Any? {
        val reader = Reader(text)
        reader.skipWhitespace()
        val value = reader.readValue()
        reader.skipWhitespace()
        if (!reader.atEnd()) throw reader.error("trailing characters")
        return value
    }

    private class Reader(private val text: String) {
        private var pos = 0

        fun atEnd(): Boolean = pos >= text.length

        fun error(message: String): JsonException = JsonException("$message at offset $pos")

        fun skipWhitespace() {
            while (pos < text.length && text[pos] in " \t\r\n") pos++
        }

        fun readValue(): Any? {
            if (atEnd()) throw error("unexpected end of input")
            return when (val c = text[pos]) {
                '{' -> readObject()
                '[' -> readArray()
                '"' -> readString()
                't' -> readLiteral("true", true)
                'f' -> readLiteral("false", false)
                'n' -> readLiteral("null", null)
                else -> if (c == '-' || c in '0'..'9') readNumber() else throw error("unexpected '$c'")
            }
        }

        private fun expect(c: Char) {
            if (atEnd() || text[pos] != c) throw error("expected '$c'")
            pos++
        }

        private fun readObject(): Map<String, Any?> {
            expect('{')
            val result = LinkedHashMap<String, Any?>()
            skipWhitespace()
            if (!atEnd() && text[pos] == '}') {
                pos++
                return result
            }
            while (true) {
                skipWhitespace()
                val key = readString()
                skipWhitespace()
                expect(':')
                skipWhitespace()
                result[key] = readValue()
                skipWhitespace()
                if (atEnd()) throw error("unterminated object")
                val separator = text[pos]
                if (separator == '}') {
                    pos++
                    return result
                }
                if (separator != ',') throw error("expected ',' or '}'")
                pos++
            }
        }

        private fun readArray(): List<Any?> {
            expect('[')
            val result = ArrayList<Any?>()
            skipWhitespace()
            if (!atEnd() && text[pos] == ']') {
                pos++
                return result
            }
            while (true) {
                skipWhitespace()
                result.add(readValue())
                skipWhitespace()
                if (atEnd()) throw error("unterminated array")
                val separator = text[pos]
                if (separator == ']') {
                    pos++
                    return result
                }
                if (separator != ',') throw error("expected ',' or ']'")
                pos++
            }
        }

        private fun readString(): String {
            expect('"')
            val out = StringBuilder()
            while (true) {
                if (atEnd()) throw error("unterminated string")
                val c = text[pos++]
                when {
                    c == '"' -> return out.toString()
                    c == '\\' -> out.append(readEscape())
                    c < ' ' -> {
                        pos--
                        throw error("control character in string")
                    }
                    else -> out.append(c)
                }
            }
        }

        private fun readEscape(): Char {
            if (atEnd()) throw error("unterminated escape")
            return when (val c = text[pos++]) {
                '"' -> '"'
                '\\' -> '\\'
                '/' -> '/'
                'b' -> '\b'
                'f' -> '\u000C'
                'n' -> '\n'
                'r' -> '\r'
                't' -> '\t'
                'u' -> {
                    if (pos + 4 > text.length) throw error("short \\u escape")
                    val hex = text.substring(pos, pos + 4)
                    val code = hex.toIntOrNull(16) ?: throw error("bad \\u escape '$hex'")
                    pos += 4
                    code.toChar()
                }
                else -> {
                    pos--
                    throw error("bad escape '\\$c'")
                }
            }
        }

        private fun readNumber(): Any {
            val start = pos
            if (text[pos] == '-') pos++
            var integral = true
            while (pos < text.length) {
                val c = text[pos]
                if (c in '0'..'9') {
                    pos++
                } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                    integral = false
                    pos++
                } else {
                    break
                }
            }
            val literal = text.substring(start, pos)
            if (integral) literal.toLongOrNull()?.let { return it }
            return literal.toDoubleOrNull() ?: throw error("bad number '$literal'")
        }

        private fun readLiteral(word: String, value: Any?): Any? {
            if (!text.startsWith(word, pos)) throw error("expected '$word'")
            pos += word.length
            return value
        }
    }
}

class JsonException(message: String) : RuntimeException(message)

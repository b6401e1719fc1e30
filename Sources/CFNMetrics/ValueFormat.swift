/// Formats a sample value as the text formats expect: integers up to 2^53 without an exponent,
/// other values in the shortest form that reads back to the same double, and `+Inf`, `-Inf`, `NaN`.
func formatValue(_ value: Double) -> String {
    var buffer = ByteBuffer()
    buffer.appendValue(value)
    return String(decoding: buffer.bytes, as: UTF8.self)
}

/// A growing byte buffer that rendering writes straight into.
struct ByteBuffer {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func append(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    mutating func append(_ other: ArraySlice<UInt8>) {
        bytes.append(contentsOf: other)
    }

    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    mutating func appendInteger(_ value: UInt64) {
        if value < 10 {
            bytes.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[count] = 0x30 + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(raw[index])
            }
        }
    }

    mutating func appendValue(_ value: Double) {
        if value.isNaN {
            append("NaN")
        } else if value.isInfinite {
            append(value < 0 ? "-Inf" : "+Inf")
        } else if value == value.rounded(.towardZero) && abs(value) <= 9_007_199_254_740_992 {
            // Integral values print without exponent or fraction; -0 prints as 0.
            if value < 0 { bytes.append(0x2D) }
            appendInteger(UInt64(abs(value)))
        } else {
            append(value.description)
        }
    }

    /// A label value, escaping backslash, double quote and newline.
    mutating func appendEscapedLabelValue(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case 0x5C: append("\\\\")
            case 0x22: append("\\\"")
            case 0x0A: append("\\n")
            default: bytes.append(byte)
            }
        }
    }

    /// HELP text, escaping backslash and newline; OpenMetrics also escapes the double quote.
    mutating func appendEscapedHelp(_ help: String, escapeQuote: Bool) {
        for byte in help.utf8 {
            switch byte {
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x22 where escapeQuote: append("\\\"")
            default: bytes.append(byte)
            }
        }
    }
}

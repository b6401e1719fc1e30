#if canImport(Glibc)
import Glibc
#endif

/// Formats a sample value as the text formats expect: integers up to 2^53 without an exponent,
/// other values in the shortest form that reads back to the same double, and `+Inf`, `-Inf`, `NaN`.
func formatValue(_ value: Double) -> String {
    let buffer = ByteBuffer()
    buffer.appendValue(value)
    return String(decoding: buffer.bytes, as: UTF8.self)
}

/// A growing byte buffer in malloc'ed memory that rendering writes straight into. The C layer can
/// take the memory over without a copy (`takeMemory`).
///
/// Not thread-safe: one writer owns it.
final class ByteBuffer {
    private var start: UnsafeMutablePointer<UInt8>?
    private(set) var count = 0
    private var capacity = 0

    init(capacity: Int = 0) {
        if capacity > 0 { grow(to: capacity) }
    }

    deinit {
        free(start)
    }

    /// A copy of the bytes written so far.
    var bytes: [UInt8] {
        guard let start else { return [] }
        return Array(UnsafeBufferPointer(start: start, count: count))
    }

    /// Hands the malloc'ed memory, NUL-terminated, to the caller (who frees it with free) and
    /// leaves the buffer empty. Nil only when memory runs out.
    func takeMemory() -> (pointer: UnsafeMutablePointer<UInt8>, count: Int)? {
        guard reserve(1) else { return nil }
        start![count] = 0
        let taken = (start!, count)
        start = nil
        count = 0
        capacity = 0
        return taken
    }

    @inline(__always)
    @discardableResult
    private func reserve(_ extra: Int) -> Bool {
        if count + extra <= capacity { return true }
        return grow(to: max(count + extra, capacity * 2, 256))
    }

    @discardableResult
    private func grow(to newCapacity: Int) -> Bool {
        guard let moved = realloc(start, newCapacity) else { return false }
        start = moved.assumingMemoryBound(to: UInt8.self)
        capacity = newCapacity
        return true
    }

    @inline(__always)
    func append(raw: UnsafeRawBufferPointer) {
        guard raw.count > 0, reserve(raw.count), let source = raw.baseAddress else { return }
        memcpy(start! + count, source, raw.count)
        count += raw.count
    }

    func append(_ text: StaticString) {
        append(raw: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    func append(string text: String) {
        var text = text
        text.withUTF8 { append(raw: UnsafeRawBufferPointer($0)) }
    }

    func append(_ other: [UInt8]) {
        other.withUnsafeBytes { append(raw: $0) }
    }

    func append(_ other: ArraySlice<UInt8>) {
        other.withUnsafeBytes { append(raw: $0) }
    }

    @inline(__always)
    func append(byte: UInt8) {
        guard reserve(1) else { return }
        start![count] = byte
        count += 1
    }

    func appendInteger(_ value: UInt64) {
        guard reserve(20) else { return }
        if value < 10 {
            start![count] = 0x30 + UInt8(value)
            count += 1
            return
        }
        var digits = 0
        var rest = value
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        rest = value
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            start![index] = 0x30 + UInt8(rest % 10)
            rest /= 10
        }
        count += digits
    }

    func appendValue(_ value: Double) {
        if value.isNaN {
            append("NaN")
        } else if value.isInfinite {
            append(value < 0 ? "-Inf" : "+Inf")
        } else if value == value.rounded(.towardZero) && abs(value) <= 9_007_199_254_740_992 {
            // Integral values print without exponent or fraction; -0 prints as 0.
            if value < 0 { append(byte: 0x2D) }
            appendInteger(UInt64(abs(value)))
        } else {
            append(string: value.description)
        }
    }

    /// A label value, escaping backslash, double quote and newline.
    func appendEscapedLabelValue(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case 0x5C: append("\\\\")
            case 0x22: append("\\\"")
            case 0x0A: append("\\n")
            default: append(byte: byte)
            }
        }
    }

    /// HELP text, escaping backslash and newline; OpenMetrics also escapes the double quote.
    func appendEscapedHelp(_ help: String, escapeQuote: Bool) {
        for byte in help.utf8 {
            switch byte {
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x22 where escapeQuote: append("\\\"")
            default: append(byte: byte)
            }
        }
    }
}

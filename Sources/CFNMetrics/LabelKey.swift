#if canImport(Glibc)
import Glibc
#endif

/// Label values as a lookup sees them: either Swift strings or NUL-terminated C strings. Both hash
/// the same bytes the same way, so a series created from one is found from the other, and a lookup
/// of an existing series allocates nothing.
protocol LabelKey {
    var count: Int { get }
    /// A hash of the UTF-8 bytes of every value and their lengths; never 0 (0 marks an empty slot
    /// in the series table).
    func hash() -> UInt64
    /// Whether these values equal a series' key bytes (values each followed by 0xFF).
    func matches(_ key: UnsafeBufferPointer<UInt8>) -> Bool
    /// Throws if a value is missing (a NULL C string), as creating a series would.
    func checkPresent(metric: String, labelNames: [String]) throws(MetricsError)
    /// Copies the values into strings for a new series; throws on invalid UTF-8.
    func makeValues(metric: String, labelNames: [String]) throws(MetricsError) -> [String]
}

/// Mixes one label value into a running hash, eight bytes at a time, then its length (which
/// also separates it from the next value).
@inline(__always)
func mixValue(_ hash: inout UInt64, _ base: UnsafeRawPointer?, _ count: Int) {
    var offset = 0
    if let base {
        while offset + 8 <= count {
            mixWord(&hash, base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        // The last 0–7 bytes in at most three loads, never reading past the value.
        let rest = count - offset
        if rest > 0 {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            if rest & 4 != 0 {
                tail = UInt64(base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                offset += 4
                shift = 32
            }
            if rest & 2 != 0 {
                tail |= UInt64(base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) << shift
                offset += 2
                shift += 16
            }
            if rest & 1 != 0 {
                tail |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << shift
            }
            mixWord(&hash, tail)
        }
    }
    mixWord(&hash, UInt64(count) | 0xFF00_0000_0000_0000)
}

@inline(__always)
func mixWord(_ hash: inout UInt64, _ word: UInt64) {
    hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
    hash ^= hash >> 29
}

let hashSeed: UInt64 = 0xCBF2_9CE4_8422_2325

@inline(__always)
func nonZero(_ hash: UInt64) -> UInt64 { hash == 0 ? 1 : hash }

/// Whether `key`, from `offset`, holds exactly these `count` bytes followed by 0xFF; advances
/// `offset` past them.
@inline(__always)
func keyMatches(
    _ key: UnsafeBufferPointer<UInt8>, _ offset: inout Int, _ base: UnsafeRawPointer?, _ count: Int
) -> Bool {
    guard offset + count < key.count, key[offset + count] == 0xFF else { return false }
    if count > 0, let base, let keyBase = key.baseAddress, memcmp(keyBase + offset, base, count) != 0 { return false }
    offset += count + 1
    return true
}

struct StringLabelKey: LabelKey {
    let values: [String]

    var count: Int { values.count }

    func hash() -> UInt64 {
        var hash = hashSeed
        for var value in values {
            value.withUTF8 { mixValue(&hash, UnsafeRawPointer($0.baseAddress), $0.count) }
        }
        return nonZero(hash)
    }

    func matches(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        var offset = 0
        for var value in values {
            let equal = value.withUTF8 { keyMatches(key, &offset, UnsafeRawPointer($0.baseAddress), $0.count) }
            if !equal { return false }
        }
        return offset == key.count
    }

    func checkPresent(metric: String, labelNames: [String]) throws(MetricsError) {}

    func makeValues(metric: String, labelNames: [String]) throws(MetricsError) -> [String] {
        values
    }
}

struct CStringLabelKey: LabelKey {
    let pointers: UnsafeBufferPointer<UnsafePointer<CChar>?>

    var count: Int { pointers.count }

    func hash() -> UInt64 {
        var hash = hashSeed
        for pointer in pointers {
            guard let pointer else { continue }
            mixValue(&hash, UnsafeRawPointer(pointer), strlen(pointer))
        }
        return nonZero(hash)
    }

    func matches(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        var offset = 0
        for pointer in pointers {
            guard let pointer, keyMatches(key, &offset, UnsafeRawPointer(pointer), strlen(pointer)) else {
                return false
            }
        }
        return offset == key.count
    }

    func checkPresent(metric: String, labelNames: [String]) throws(MetricsError) {
        if let index = pointers.firstIndex(where: { $0 == nil }) {
            throw MetricsError(.invalidArgument, "metric \(metric): value of label \(labelNames[index]) is NULL")
        }
    }

    func makeValues(metric: String, labelNames: [String]) throws(MetricsError) -> [String] {
        var values: [String] = []
        values.reserveCapacity(pointers.count)
        for (index, pointer) in pointers.enumerated() {
            guard let pointer else {
                throw MetricsError(.invalidArgument, "metric \(metric): value of label \(labelNames[index]) is NULL")
            }
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            guard let value = String(validating: bytes, as: UTF8.self) else {
                throw MetricsError(
                    .invalidLabelValue, "metric \(metric): value of label \(labelNames[index]) is not valid UTF-8")
            }
            values.append(value)
        }
        return values
    }
}

/// Label values as a lookup sees them: either Swift strings or NUL-terminated C strings. Both hash
/// the same bytes the same way, so a series created from one is found from the other, and a lookup
/// of an existing series allocates nothing.
protocol LabelKey {
    var count: Int { get }
    /// FNV-1a over the UTF-8 bytes of every value, each followed by 0xFF (never part of UTF-8).
    func hash() -> UInt64
    func matches(_ values: [String]) -> Bool
    /// Copies the values into strings for a new series; throws on invalid UTF-8.
    func makeValues(metric: String, labelNames: [String]) throws(MetricsError) -> [String]
}

@inline(__always)
func fnvMix(_ hash: inout UInt64, _ byte: UInt8) {
    hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
}

let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325

struct StringLabelKey: LabelKey {
    let values: [String]

    var count: Int { values.count }

    func hash() -> UInt64 {
        var hash = fnvOffset
        for value in values {
            for byte in value.utf8 { fnvMix(&hash, byte) }
            fnvMix(&hash, 0xFF)
        }
        return hash
    }

    func matches(_ other: [String]) -> Bool {
        other == values
    }

    func makeValues(metric: String, labelNames: [String]) throws(MetricsError) -> [String] {
        values
    }
}

struct CStringLabelKey: LabelKey {
    let pointers: UnsafeBufferPointer<UnsafePointer<CChar>?>

    var count: Int { pointers.count }

    func hash() -> UInt64 {
        var hash = fnvOffset
        for pointer in pointers {
            guard let pointer else { continue }
            pointer.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
                var index = 0
                while bytes[index] != 0 {
                    fnvMix(&hash, bytes[index])
                    index += 1
                }
            }
            fnvMix(&hash, 0xFF)
        }
        return hash
    }

    func matches(_ values: [String]) -> Bool {
        for (index, pointer) in pointers.enumerated() {
            guard let pointer else { return false }
            var value = values[index]
            let equal = pointer.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
                value.withUTF8 { stored in
                    for offset in 0..<stored.count where bytes[offset] != stored[offset] { return false }
                    return bytes[stored.count] == 0
                }
            }
            if !equal { return false }
        }
        return true
    }

    func makeValues(metric: String, labelNames: [String]) throws(MetricsError) -> [String] {
        var values: [String] = []
        values.reserveCapacity(pointers.count)
        for (index, pointer) in pointers.enumerated() {
            guard let pointer else {
                throw MetricsError(.invalidArgument, "metric \(metric): value of label \(labelNames[index]) is NULL")
            }
            let length = strlenPortable(pointer)
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                            count: length)
            guard let value = String(validating: bytes, as: UTF8.self) else {
                throw MetricsError(
                    .invalidLabelValue, "metric \(metric): value of label \(labelNames[index]) is not valid UTF-8")
            }
            values.append(value)
        }
        return values
    }
}

@inline(__always)
func strlenPortable(_ pointer: UnsafePointer<CChar>) -> Int {
    var length = 0
    while pointer[length] != 0 { length += 1 }
    return length
}

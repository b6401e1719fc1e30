import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One labelled child of a family. Handles stay valid after the series is removed from its
/// family; updates through them then reach nothing that is rendered.
///
/// `@unchecked Sendable`: every stored property is immutable after init, and the values of the
/// subclasses live in `Synchronization.Atomic` storage.
public class Series: @unchecked Sendable {
    public let descriptor: MetricDescriptor
    /// The family's type, kept here so the C layer checks it without another pointer hop.
    public let metricType: MetricType
    /// Two parts in one allocation, to keep a series small: the escaped `name="value",…` text that
    /// rendering copies as it is, then the raw label values, each followed by 0xFF (a byte UTF-8
    /// never uses), which lookups compare against.
    let bytes: [UInt8]
    let keyStart: Int
    /// Seconds since the Unix epoch when the series was created (OpenMetrics `_created`).
    public let created: Double

    init(descriptor: MetricDescriptor, labelValues: [String]) {
        self.descriptor = descriptor
        self.metricType = descriptor.type
        let buffer = ByteBuffer()
        for (index, name) in descriptor.labelNames.enumerated() {
            if index > 0 { buffer.append(byte: 0x2C) }
            buffer.append(string: name)
            buffer.append("=\"")
            buffer.appendEscapedLabelValue(labelValues[index])
            buffer.append(byte: 0x22)
        }
        keyStart = buffer.count
        for value in labelValues {
            buffer.append(string: value)
            buffer.append(byte: 0xFF)
        }
        bytes = buffer.bytes
        created = Series.now()
    }

    /// The label values, in the order of the family's label names.
    public var labelValues: [String] {
        bytes[keyStart...].split(separator: 0xFF, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// The raw label values with their 0xFF terminators, as lookups compare them.
    @inline(__always)
    func withKey<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[keyStart...])) }
    }

    var renderedLabels: ArraySlice<UInt8> { bytes[..<keyStart] }

    /// Rendering order: label values compared byte by byte, a shorter value first.
    func precedes(_ other: Series) -> Bool {
        withKey { mine in
            other.withKey { theirs in
                for (left, right) in zip(mine, theirs) where left != right {
                    // 0xFF ends a value: it must sort before any byte that continues one.
                    return left &+ 1 < right &+ 1
                }
                return mine.count < theirs.count
            }
        }
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Adds `delta` to a double kept as its bit pattern in an atomic, by compare-and-swap.
@inlinable @inline(__always)
func atomicAdd(_ bits: borrowing Atomic<UInt64>, _ delta: Double) {
    var old = bits.load(ordering: .relaxed)
    while true {
        let new = (Double(bitPattern: old) + delta).bitPattern
        let (exchanged, current) = bits.weakCompareExchange(
            expected: old, desired: new, successOrdering: .relaxed, failureOrdering: .relaxed)
        if exchanged { return }
        old = current
    }
}

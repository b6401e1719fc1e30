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
    public let labelValues: [String]
    /// `name="value",…` with values escaped, rendered once so a scrape only copies bytes.
    let renderedLabels: [UInt8]
    /// Seconds since the Unix epoch when the series was created (OpenMetrics `_created`).
    public let created: Double

    init(descriptor: MetricDescriptor, labelValues: [String]) {
        self.descriptor = descriptor
        self.labelValues = labelValues
        var buffer = ByteBuffer()
        for (index, name) in descriptor.labelNames.enumerated() {
            if index > 0 { buffer.append(byte: 0x2C) }
            buffer.append(name)
            buffer.append("=\"")
            buffer.appendEscapedLabelValue(labelValues[index])
            buffer.append(byte: 0x22)
        }
        self.renderedLabels = buffer.bytes
        self.created = Series.now()
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Adds `delta` to a double kept as its bit pattern in an atomic, by compare-and-swap.
@inline(__always)
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

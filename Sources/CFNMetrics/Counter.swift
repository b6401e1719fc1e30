import Synchronization

/// A value that only goes up. Whole-number increments take a single atomic add; other increments
/// go through a compare-and-swap on a separate double. Relaxed ordering is enough: a counter
/// publishes no other memory, and a scrape only needs each value to be some recent value.
public final class Counter: Series, @unchecked Sendable {
    @usableFromInline let whole = Atomic<UInt64>(0)
    @usableFromInline let fraction = Atomic<UInt64>(0.0.bitPattern)

    /// Adds one.
    @inlinable @inline(__always)
    public func inc() {
        whole.wrappingAdd(1, ordering: .relaxed)
    }

    /// Adds `delta`, which must be zero or positive (+Inf included); NaN and negatives are refused.
    @inlinable
    public func add(_ delta: Double) throws(MetricsError) {
        guard delta >= 0 else {
            throw refusal(delta)
        }
        if delta < 9_007_199_254_740_992, delta == delta.rounded(.towardZero) {
            whole.wrappingAdd(UInt64(delta), ordering: .relaxed)
        } else {
            atomicAdd(fraction, delta)
        }
    }

    @usableFromInline
    func refusal(_ delta: Double) -> MetricsError {
        MetricsError(
            .invalidValue,
            "counter \(descriptor.name): increment \(formatValue(delta)) is \(delta.isNaN ? "NaN" : "negative")")
    }

    public var value: Double {
        Double(whole.load(ordering: .relaxed)) + Double(bitPattern: fraction.load(ordering: .relaxed))
    }
}

import Synchronization

/// A value that can go up and down, stored as the bit pattern of a double in one atomic.
/// Relaxed ordering: a gauge publishes no other memory.
public final class Gauge: Series, @unchecked Sendable {
    @usableFromInline let bits = Atomic<UInt64>(0.0.bitPattern)

    @inlinable
    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    @inlinable
    public func add(_ delta: Double) {
        atomicAdd(bits, delta)
    }

    public var value: Double {
        Double(bitPattern: bits.load(ordering: .relaxed))
    }
}

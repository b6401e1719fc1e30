import Synchronization

/// Counts observations into buckets without a lock on the observe path, and still hands a scrape
/// a snapshot in which the buckets, the sum and the count agree.
///
/// Two sets of counts take turns: observers write into the "hot" one, chosen by the top bit of
/// `started`, whose lower bits count observations begun. A snapshot flips the bit, waits until
/// the now-cold set has finished every observation begun before the flip, reads it, and folds it
/// into the hot set. Snapshots of one series are serialised by `snapshotLock`.
public final class Histogram: Series, @unchecked Sendable {
    private static let hotBit: UInt64 = 1 << 63

    private let started = Atomic<UInt64>(0)
    private let sets: (HistogramCounts, HistogramCounts)
    private let snapshotLock = Mutex<Void>(())

    override init(descriptor: MetricDescriptor, labelValues: [String]) {
        let slots = descriptor.buckets.count + 1
        sets = (HistogramCounts(slots: slots), HistogramCounts(slots: slots))
        super.init(descriptor: descriptor, labelValues: labelValues)
    }

    /// Records one observation; NaN is refused because it would poison the sum.
    public func observe(_ value: Double) throws(MetricsError) {
        guard !value.isNaN else {
            throw MetricsError(.invalidValue, "histogram \(descriptor.name): observation NaN is not a number")
        }
        let slot = bucketIndex(value)
        let begun = started.wrappingAdd(1, ordering: .acquiring).oldValue
        let counts = begun & Histogram.hotBit == 0 ? sets.0 : sets.1
        counts.record(slot: slot, value: value)
    }

    private func bucketIndex(_ value: Double) -> Int {
        let bounds = descriptor.buckets
        if bounds.count <= 16 {
            for index in bounds.indices where value <= bounds[index] { return index }
            return bounds.count
        }
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low + high) / 2
            if value <= bounds[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// A consistent view: per-bucket (not cumulative) counts, +Inf last, the sum and the count.
    public func snapshot() -> HistogramSnapshot {
        snapshotLock.withLock { _ in
            let flipped = started.wrappingAdd(Histogram.hotBit, ordering: .acquiringAndReleasing).oldValue
            let total = flipped & ~Histogram.hotBit
            let (cold, hot) = flipped & Histogram.hotBit == 0 ? (sets.0, sets.1) : (sets.1, sets.0)
            var spins = 0
            while cold.count.load(ordering: .acquiring) != total {
                spins += 1
                if spins > 64 { sched_yield_portable() }
            }
            let snapshot = HistogramSnapshot(
                buckets: (0..<cold.slots).map { cold.buckets[$0].load(ordering: .relaxed) },
                sum: Double(bitPattern: cold.sum.load(ordering: .relaxed)),
                count: total)
            cold.drain(into: hot)
            return snapshot
        }
    }
}

/// One set of histogram counts: per-bucket counters, the sum as double bits, and the number of
/// observations finished in this set.
final class HistogramCounts: @unchecked Sendable {
    let slots: Int
    let buckets: UnsafeMutablePointer<Atomic<UInt64>>
    let sum = Atomic<UInt64>(0.0.bitPattern)
    let count = Atomic<UInt64>(0)

    init(slots: Int) {
        self.slots = slots
        buckets = .allocate(capacity: slots)
        for index in 0..<slots {
            (buckets + index).initialize(to: Atomic<UInt64>(0))
        }
    }

    deinit {
        buckets.deinitialize(count: slots)
        buckets.deallocate()
    }

    @inline(__always)
    func record(slot: Int, value: Double) {
        buckets[slot].wrappingAdd(1, ordering: .relaxed)
        atomicAdd(sum, value)
        // Releasing: a snapshot that sees this count also sees the bucket and sum above.
        count.wrappingAdd(1, ordering: .releasing)
    }

    /// Moves everything counted here into `other` and zeroes this set.
    func drain(into other: HistogramCounts) {
        for index in 0..<slots {
            let moved = buckets[index].exchange(0, ordering: .relaxed)
            if moved > 0 { other.buckets[index].wrappingAdd(moved, ordering: .relaxed) }
        }
        let movedSum = Double(bitPattern: sum.exchange(0.0.bitPattern, ordering: .relaxed))
        if movedSum != 0 { atomicAdd(other.sum, movedSum) }
        let moved = count.exchange(0, ordering: .relaxed)
        other.count.wrappingAdd(moved, ordering: .releasing)
    }
}

public struct HistogramSnapshot: Sendable, Equatable {
    /// Observations per bucket (not cumulative), the +Inf bucket last.
    public let buckets: [UInt64]
    public let sum: Double
    public let count: UInt64
}

#if canImport(Glibc)
import Glibc
@inline(__always) func sched_yield_portable() { _ = sched_yield() }
#else
@inline(__always) func sched_yield_portable() {}
#endif

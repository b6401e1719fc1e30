import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Counts observations into buckets without a lock on the observe path, and still hands a scrape
/// a snapshot in which the buckets, the sum and the count agree.
///
/// Two sets of counts take turns: observers write into the "hot" one, chosen by the top bit of
/// `started`, whose lower bits count observations begun. A snapshot flips the bit, waits until
/// the now-cold set has finished every observation begun before the flip (its buckets add up to
/// that number), reads it, and folds it into the hot set. Snapshots of one series are serialised
/// by `snapshotLock`. An observation costs three atomic operations: begin, sum, bucket.
///
/// Both sets and the bucket bounds live in raw memory owned by the series, so observing touches
/// no reference count.
public final class Histogram: Series, @unchecked Sendable {
    @usableFromInline static let hotBit: UInt64 = 1 << 63

    @usableFromInline let started = Atomic<UInt64>(0)
    /// Finite upper bounds, copied from the descriptor.
    @usableFromInline let bounds: UnsafeMutableBufferPointer<Double>
    /// Per set: one counter per bucket (+Inf last), then the sum as double bits. Set 0 first, set 1
    /// after it.
    @usableFromInline let cells: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let setSize: Int
    private let snapshotLock = Mutex<Void>(())

    override init(descriptor: MetricDescriptor, labelValues: [String]) {
        bounds = .allocate(capacity: descriptor.buckets.count)
        _ = bounds.initialize(from: descriptor.buckets)
        setSize = descriptor.buckets.count + 2
        cells = .allocate(capacity: 2 * setSize)
        for index in 0..<(2 * setSize) {
            (cells + index).initialize(to: Atomic<UInt64>(0))
        }
        super.init(descriptor: descriptor, labelValues: labelValues)
    }

    deinit {
        cells.deinitialize(count: 2 * setSize)
        cells.deallocate()
        bounds.deallocate()
    }

    /// Records one observation; NaN is refused because it would poison the sum.
    @inlinable
    public func observe(_ value: Double) throws(MetricsError) {
        guard !value.isNaN else { throw nanRefusal() }
        let slot = bucketIndex(value)
        let begun = started.wrappingAdd(1, ordering: .relaxed).oldValue
        let set = cells + (begun & Histogram.hotBit == 0 ? 0 : setSize)
        atomicAdd(set[setSize - 1], value)
        // Releasing, and last: a snapshot that counts this bucket increment also sees the sum.
        set[slot].wrappingAdd(1, ordering: .releasing)
    }

    @usableFromInline
    func nanRefusal() -> MetricsError {
        MetricsError(.invalidValue, "histogram \(descriptor.name): observation NaN is not a number")
    }

    @inlinable
    func bucketIndex(_ value: Double) -> Int {
        if bounds.count <= 16 {
            for index in 0..<bounds.count where value <= bounds[index] { return index }
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
            let coldIsFirst = flipped & Histogram.hotBit == 0
            let cold = cells + (coldIsFirst ? 0 : setSize)
            let hot = cells + (coldIsFirst ? setSize : 0)
            let bucketCount = setSize - 1
            var buckets = [UInt64](repeating: 0, count: bucketCount)
            var spins = 0
            while true {
                var finished: UInt64 = 0
                for index in 0..<bucketCount {
                    buckets[index] = cold[index].load(ordering: .acquiring)
                    finished &+= buckets[index]
                }
                if finished == total { break }
                spins += 1
                if spins > 64 { sched_yield() }
            }
            let sum = Double(bitPattern: cold[bucketCount].load(ordering: .relaxed))
            // Fold the cold set into the hot one and zero it, ready for the next flip.
            for index in 0..<bucketCount {
                let moved = cold[index].exchange(0, ordering: .relaxed)
                if moved > 0 { hot[index].wrappingAdd(moved, ordering: .releasing) }
            }
            let movedSum = Double(bitPattern: cold[bucketCount].exchange(0.0.bitPattern, ordering: .relaxed))
            if movedSum != 0 { atomicAdd(hot[bucketCount], movedSum) }
            return HistogramSnapshot(buckets: buckets, sum: sum, count: total)
        }
    }
}

public struct HistogramSnapshot: Sendable, Equatable {
    /// Observations per bucket (not cumulative), the +Inf bucket last.
    public let buckets: [UInt64]
    public let sum: Double
    public let count: UInt64
}

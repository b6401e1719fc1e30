import Synchronization

/// All series of one metric name, found by their label values.
///
/// `@unchecked Sendable`: `descriptor` is immutable and the series table is guarded by `table`.
public final class MetricFamily: @unchecked Sendable {
    public let descriptor: MetricDescriptor
    private let table = Mutex(SeriesTable())

    init(descriptor: MetricDescriptor) {
        self.descriptor = descriptor
    }

    /// Gets or creates the series with these label values, one per label name in order.
    public func series(_ labelValues: [String]) throws(MetricsError) -> Series {
        try series(for: StringLabelKey(values: labelValues))
    }

    /// Gets or creates a series from C strings; finding an existing one allocates nothing.
    public func series(cLabelValues: UnsafeBufferPointer<UnsafePointer<CChar>?>) throws(MetricsError) -> Series {
        try series(for: CStringLabelKey(pointers: cLabelValues))
    }

    public func counter(_ labelValues: String...) throws(MetricsError) -> Counter {
        try typed(labelValues, as: Counter.self, .counter)
    }

    public func gauge(_ labelValues: String...) throws(MetricsError) -> Gauge {
        try typed(labelValues, as: Gauge.self, .gauge)
    }

    public func histogram(_ labelValues: String...) throws(MetricsError) -> Histogram {
        try typed(labelValues, as: Histogram.self, .histogram)
    }

    /// Removes one series; it no longer appears in renderings. Throws `.notFound` if absent.
    public func remove(_ labelValues: [String]) throws(MetricsError) {
        try remove(key: StringLabelKey(values: labelValues))
    }

    public func remove(cLabelValues: UnsafeBufferPointer<UnsafePointer<CChar>?>) throws(MetricsError) {
        try remove(key: CStringLabelKey(pointers: cLabelValues))
    }

    /// Removes every series.
    public func reset() {
        table.withLock { $0 = SeriesTable() }
    }

    /// The series in rendering order: by label values, byte by byte.
    public func sortedSeries() -> [Series] {
        table.withLock { $0.sorted() }
    }

    // MARK: - Internals

    private func typed<S: Series>(_ values: [String], as: S.Type, _ type: MetricType) throws(MetricsError) -> S {
        guard descriptor.type == type else {
            throw MetricsError(
                .wrongType, "metric \(descriptor.name) is a \(descriptor.type.rawValue), not a \(type.rawValue)")
        }
        return unsafeDowncast(try series(labelValues: values), to: S.self)
    }

    private func series(labelValues: [String]) throws(MetricsError) -> Series {
        try series(for: StringLabelKey(values: labelValues))
    }

    private func series<Key: LabelKey>(for key: Key) throws(MetricsError) -> Series {
        try checkCount(key.count)
        let hash = key.hash()
        if let found = table.withLock({ $0.find(hash: hash, key: key) }) { return found }

        let values = try key.makeValues(metric: descriptor.name, labelNames: descriptor.labelNames)
        let created = makeSeries(values)
        return table.withLock { table in
            // Another thread may have created it between the two locks: keep the first.
            if let found = table.find(hash: hash, key: key) { return found }
            table.insert(created, hash: hash)
            return created
        }
    }

    private func remove<Key: LabelKey>(key: Key) throws(MetricsError) {
        try checkCount(key.count)
        try key.checkPresent(metric: descriptor.name, labelNames: descriptor.labelNames)
        let hash = key.hash()
        let removed = table.withLock { $0.remove(hash: hash, key: key) }
        guard removed else {
            throw MetricsError(.notFound, "metric \(descriptor.name): no series with these label values")
        }
    }

    private func checkCount(_ count: Int) throws(MetricsError) {
        guard count == descriptor.labelNames.count else {
            throw MetricsError(
                .labelCount,
                "metric \(descriptor.name): got \(count) label values, expected \(descriptor.labelNames.count) "
                    + "(\(descriptor.labelNames.joined(separator: ", ")))")
        }
    }

    private func makeSeries(_ values: [String]) -> Series {
        switch descriptor.type {
        case .counter: Counter(descriptor: descriptor, labelValues: values)
        case .gauge: Gauge(descriptor: descriptor, labelValues: values)
        case .histogram: Histogram(descriptor: descriptor, labelValues: values)
        }
    }
}

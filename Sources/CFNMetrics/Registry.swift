import Synchronization

/// A set of metric families, rendered together.
///
/// `@unchecked Sendable`: the only mutable state is `families`, guarded by its mutex.
public final class Registry: @unchecked Sendable {
    private let families = Mutex(FamilyIndex())

    public init() {}

    /// Registers a counter family, or returns the existing one when the definition is identical.
    public func counter(_ name: String, help: String, labelNames: [String] = []) throws(MetricsError) -> MetricFamily {
        try register(name: name, help: help, type: .counter, labelNames: labelNames, buckets: [])
    }

    /// Registers a gauge family; see ``counter(_:help:labelNames:)``.
    public func gauge(_ name: String, help: String, labelNames: [String] = []) throws(MetricsError) -> MetricFamily {
        try register(name: name, help: help, type: .gauge, labelNames: labelNames, buckets: [])
    }

    /// Registers a histogram family with finite, strictly increasing bucket bounds (+Inf is added).
    public func histogram(
        _ name: String, help: String, labelNames: [String] = [], buckets: [Double]
    ) throws(MetricsError) -> MetricFamily {
        try register(name: name, help: help, type: .histogram, labelNames: labelNames, buckets: buckets)
    }

    public func register(
        name: String, help: String, type: MetricType, labelNames: [String], buckets: [Double]
    ) throws(MetricsError) -> MetricFamily {
        let descriptor = try MetricDescriptor(
            name: name, help: help, type: type, labelNames: labelNames, buckets: buckets)
        return try families.withLock { (index: inout FamilyIndex) throws(MetricsError) -> MetricFamily in
            if let existing = index.byName[name] {
                if let difference = descriptor.difference(from: existing.descriptor) {
                    throw MetricsError(.conflict, "metric \(name) is already registered: \(difference)")
                }
                return existing
            }
            try index.checkNoClash(name, type: type)
            let family = MetricFamily(descriptor: descriptor)
            index.insert(family)
            return family
        }
    }

    /// The family registered under `name`, if any.
    public func family(named name: String) -> MetricFamily? {
        families.withLock { $0.byName[name] }
    }

    /// Removes a family; handles to it keep working but are no longer rendered.
    public func unregister(_ name: String) throws(MetricsError) {
        let removed = families.withLock { $0.remove(name) }
        guard removed else { throw MetricsError(.notFound, "metric \(name) is not registered") }
    }

    /// The families in rendering order (by name).
    public func sortedFamilies() -> [MetricFamily] {
        families.withLock { $0.sorted() }
    }

    /// Renders every family in the given format.
    public func render(_ format: ExpositionFormat = .text) -> [UInt8] {
        var writer = ExpositionWriter(format: format)
        for family in sortedFamilies() {
            writer.write(family)
        }
        return writer.finish()
    }

    /// Renders into malloc'ed, NUL-terminated memory that the caller frees with `free`, without
    /// the copy that ``render(_:)`` makes; nil when memory runs out.
    public func renderIntoMemory(_ format: ExpositionFormat) -> (pointer: UnsafeMutablePointer<UInt8>, count: Int)? {
        var writer = ExpositionWriter(format: format)
        for family in sortedFamilies() {
            writer.write(family)
        }
        return writer.finishIntoMemory()
    }
}

struct FamilyIndex {
    var byName: [String: MetricFamily] = [:]
    private var ordered: [MetricFamily]?

    mutating func insert(_ family: MetricFamily) {
        byName[family.descriptor.name] = family
        ordered = nil
    }

    mutating func remove(_ name: String) -> Bool {
        guard byName.removeValue(forKey: name) != nil else { return false }
        ordered = nil
        return true
    }

    mutating func sorted() -> [MetricFamily] {
        if let ordered { return ordered }
        let result = byName.values.sorted { $0.descriptor.name.utf8.lexicographicallyPrecedes($1.descriptor.name.utf8) }
        ordered = result
        return result
    }

    /// Refuses a name whose samples would collide with another family's (`x_count` beside histogram `x`).
    func checkNoClash(_ name: String, type: MetricType) throws(MetricsError) {
        for (other, family) in byName {
            if family.descriptor.type == .histogram,
               ["_bucket", "_sum", "_count", "_created"].contains(where: { other + $0 == name }) {
                throw MetricsError(.conflict, "metric \(name) would clash with the samples of histogram \(other)")
            }
            if type == .histogram, ["_bucket", "_sum", "_count", "_created"].contains(where: { name + $0 == other }) {
                throw MetricsError(.conflict, "histogram \(name) would clash with metric \(other)")
            }
        }
    }
}

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
            if let shared = labelNames.first(where: { name in index.constantLabels.contains { $0.name == name } }) {
                throw MetricsError(
                    .conflict, "metric \(name): label \(shared) is already a constant label of the registry")
            }
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
        var writer = makeWriter(format)
        for family in sortedFamilies() {
            writer.write(family)
        }
        return writer.finish()
    }

    /// Renders into malloc'ed, NUL-terminated memory that the caller frees with `free`, without
    /// the copy that ``render(_:)`` makes; nil when memory runs out.
    public func renderIntoMemory(_ format: ExpositionFormat) -> (pointer: UnsafeMutablePointer<UInt8>, count: Int)? {
        var writer = makeWriter(format)
        for family in sortedFamilies() {
            writer.write(family)
        }
        return writer.finishIntoMemory()
    }

    /// Labels added to every rendered series, first, such as `env="prod"`: the whole set is
    /// replaced, and an empty list removes them. A name that a registered family already uses is a
    /// conflict, and so is registering such a family later.
    public func setConstantLabels(_ labels: [(name: String, value: String)]) throws(MetricsError) {
        // Checked as histogram labels, so `le` is refused too: it would break every histogram.
        try Validation.checkLabelNames(labels.map(\.name), metric: "constant labels", type: .histogram)
        try families.withLock { (index: inout FamilyIndex) throws(MetricsError) in
            for (familyName, family) in index.byName {
                if let shared = labels.first(where: { family.descriptor.labelNames.contains($0.name) }) {
                    throw MetricsError(
                        .conflict, "constant label \(shared.name) is already a label of metric \(familyName)")
                }
            }
            index.constantLabels = labels
        }
    }

    public var constantLabels: [(name: String, value: String)] {
        families.withLock { $0.constantLabels }
    }

    private func makeWriter(_ format: ExpositionFormat) -> ExpositionWriter {
        let labels = constantLabels
        guard !labels.isEmpty else { return ExpositionWriter(format: format) }
        let rendered = ByteBuffer()
        for (index, label) in labels.enumerated() {
            if index > 0 { rendered.append(byte: 0x2C) }
            rendered.append(string: label.name)
            rendered.append("=\"")
            rendered.appendEscapedLabelValue(label.value)
            rendered.append(byte: 0x22)
        }
        return ExpositionWriter(format: format, constantLabels: rendered.bytes)
    }
}

struct FamilyIndex {
    var byName: [String: MetricFamily] = [:]
    var constantLabels: [(name: String, value: String)] = []
    /// Every sample and family name that a family's output uses, with the family's name.
    private var claimed: [String: String] = [:]
    private var ordered: [MetricFamily]?

    mutating func insert(_ family: MetricFamily) {
        byName[family.descriptor.name] = family
        for claim in FamilyIndex.names(family.descriptor.name, family.descriptor.type) {
            claimed[claim] = family.descriptor.name
        }
        ordered = nil
    }

    mutating func remove(_ name: String) -> Bool {
        guard let family = byName.removeValue(forKey: name) else { return false }
        for claim in FamilyIndex.names(name, family.descriptor.type) where claimed[claim] == name {
            claimed[claim] = nil
        }
        ordered = nil
        return true
    }

    mutating func sorted() -> [MetricFamily] {
        if let ordered { return ordered }
        let result = byName.values.sorted { $0.descriptor.name.utf8.lexicographicallyPrecedes($1.descriptor.name.utf8) }
        ordered = result
        return result
    }

    /// Refuses a family whose sample or family names, in either format, would collide with another
    /// family's: `x_count` beside histogram `x`, gauge `x` beside counter `x_total` (both are family
    /// `x` in OpenMetrics), `x_created` beside counter `x`. `claimed` keeps every family's names, so
    /// the check costs the same however many families there are.
    func checkNoClash(_ name: String, type: MetricType) throws(MetricsError) {
        for claim in FamilyIndex.names(name, type) {
            guard let owner = claimed[claim], let family = byName[owner] else { continue }
            throw MetricsError(
                .conflict, "metric \(name) would clash with the samples of \(family.descriptor.type.rawValue) \(owner)")
        }
    }

    private static func names(_ name: String, _ type: MetricType) -> Set<String> {
        switch type {
        case .gauge:
            return [name]
        case .counter:
            let base = name.hasSuffix("_total") ? String(name.dropLast(6)) : name
            return [name, base, base + "_total", base + "_created"]
        case .histogram:
            return [name, name + "_bucket", name + "_sum", name + "_count", name + "_created"]
        }
    }
}

/// The kind of a metric family.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}

/// Everything that defines a family: two registrations with equal descriptors are the same family.
public final class MetricDescriptor: Sendable {
    public let name: String
    public let help: String
    public let type: MetricType
    public let labelNames: [String]
    /// Finite upper bounds of a histogram, without the implicit +Inf; empty for other types.
    public let buckets: [Double]
    /// The bucket bounds pre-rendered as `le` values, +Inf included: text 0.0.4 and OpenMetrics forms.
    let textBounds: [[UInt8]]
    let openMetricsBounds: [[UInt8]]

    init(name: String, help: String, type: MetricType, labelNames: [String], buckets: [Double]) throws(MetricsError) {
        try Validation.checkMetricName(name)
        try Validation.checkLabelNames(labelNames, metric: name, type: type)
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.buckets = type == .histogram ? try Validation.normalizedBuckets(buckets, metric: name) : []
        self.textBounds = (self.buckets + [.infinity]).map { bound in
            let buffer = ByteBuffer()
            buffer.appendValue(bound)
            return buffer.bytes
        }
        self.openMetricsBounds = (self.buckets + [.infinity]).map { bound in
            var text = formatValue(bound)
            // OpenMetrics' canonical form of an integral bound carries a fraction: 1.0, not 1.
            if bound.isFinite && !text.contains(".") && !text.contains("e") { text += ".0" }
            return Array(text.utf8)
        }
    }

    /// Names what differs between two definitions of the same name, or nil when they match.
    func difference(from other: MetricDescriptor) -> String? {
        if type != other.type { return "type \(type.rawValue) differs from registered \(other.type.rawValue)" }
        if help != other.help {
            return "help \(Validation.quoted(help)) differs from registered \(Validation.quoted(other.help))"
        }
        if labelNames != other.labelNames {
            return "label names \(labelNames) differ from registered \(other.labelNames)"
        }
        if buckets != other.buckets {
            return "buckets \(buckets.map(formatValue)) differ from registered \(other.buckets.map(formatValue))"
        }
        return nil
    }
}

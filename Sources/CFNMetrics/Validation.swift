/// The naming rules of the Prometheus data model, checked on every registration.
enum Validation {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, not starting with the reserved `__`.
    static func checkMetricName(_ name: String) throws(MetricsError) {
        guard isValidName(name, allowColon: true) else {
            throw MetricsError(.invalidName, "invalid metric name \(quoted(name)): must match [a-zA-Z_:][a-zA-Z0-9_:]*")
        }
        guard !name.hasPrefix("__") else {
            throw MetricsError(.invalidName, "invalid metric name \(quoted(name)): names starting with __ are reserved")
        }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, unique within the metric, no `le` on histograms.
    static func checkLabelNames(_ names: [String], metric: String, type: MetricType) throws(MetricsError) {
        var seen = Set<String>()
        for name in names {
            guard isValidName(name, allowColon: false) else {
                throw MetricsError(
                    .invalidName,
                    "metric \(metric): invalid label name \(quoted(name)): must match [a-zA-Z_][a-zA-Z0-9_]*")
            }
            guard !name.hasPrefix("__") else {
                throw MetricsError(
                    .invalidName,
                    "metric \(metric): invalid label name \(quoted(name)): names starting with __ are reserved")
            }
            if type == .histogram && name == "le" {
                throw MetricsError(
                    .invalidName, "metric \(metric): label name \"le\" is reserved for histogram buckets")
            }
            if !seen.insert(name).inserted {
                throw MetricsError(.invalidName, "metric \(metric): label name \(quoted(name)) appears twice")
            }
        }
    }

    /// Finite, strictly increasing upper bounds; a trailing +Inf is accepted and dropped.
    static func normalizedBuckets(_ buckets: [Double], metric: String) throws(MetricsError) -> [Double] {
        var bounds = buckets
        if bounds.last == .infinity { bounds.removeLast() }
        for (index, bound) in bounds.enumerated() {
            guard bound.isFinite else {
                throw MetricsError(.invalidValue, "metric \(metric): bucket \(formatValue(bound)) is not finite")
            }
            if index > 0 && bounds[index - 1] >= bound {
                throw MetricsError(
                    .invalidValue,
                    "metric \(metric): buckets must be strictly increasing, "
                        + "but \(formatValue(bound)) follows \(formatValue(bounds[index - 1]))")
            }
        }
        return bounds
    }

    private static func isValidName(_ name: String, allowColon: Bool) -> Bool {
        var first = true
        for byte in name.utf8 {
            let letter = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
            let digit = byte >= 0x30 && byte <= 0x39
            let colon = allowColon && byte == 0x3A
            guard letter || colon || (digit && !first) else { return false }
            first = false
        }
        return !first
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

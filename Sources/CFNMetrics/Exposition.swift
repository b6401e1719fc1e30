/// The formats a registry renders.
public enum ExpositionFormat: Sendable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0 text.
    case openMetrics

    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }
}

/// Writes families into one growing byte buffer.
public struct ExpositionWriter {
    // A struct over a buffer class: copies share the buffer, so keep one writer per rendering.
    private let buffer = ByteBuffer(capacity: 64 * 1024)
    private let format: ExpositionFormat

    /// `name="value",…` written before every series' own labels.
    private let constantLabels: [UInt8]

    public init(format: ExpositionFormat) {
        self.init(format: format, constantLabels: [])
    }

    init(format: ExpositionFormat, constantLabels: [UInt8]) {
        self.format = format
        self.constantLabels = constantLabels
    }

    public mutating func write(_ family: MetricFamily) {
        let descriptor = family.descriptor
        let isOpenMetrics = format == .openMetrics
        // OpenMetrics names a counter family without `_total`, and gives its samples the suffix.
        var familyName = descriptor.name
        var sampleName = descriptor.name
        if isOpenMetrics && descriptor.type == .counter {
            if familyName.hasSuffix("_total") {
                familyName.removeLast(6)
            } else {
                sampleName += "_total"
            }
        }
        let baseName = Array(familyName.utf8)
        let createdName = baseName + Array("_created".utf8)

        buffer.append("# HELP ")
        buffer.append(baseName)
        buffer.append(byte: 0x20)
        buffer.appendEscapedHelp(descriptor.help, escapeQuote: isOpenMetrics)
        buffer.append("\n# TYPE ")
        buffer.append(baseName)
        buffer.append(byte: 0x20)
        buffer.append(string: descriptor.type.rawValue)
        buffer.append(byte: 0x0A)

        let series = family.sortedSeries()
        switch descriptor.type {
        case .counter:
            let name = Array(sampleName.utf8)
            // The family's type fixes its series' class, so the casts below cannot fail.
            for counter in series.lazy.map({ unsafeDowncast($0, to: Counter.self) }) {
                writeSample(name, counter.renderedLabels, counter.value)
                if isOpenMetrics { writeSample(createdName, counter.renderedLabels, counter.created) }
            }
        case .gauge:
            for gauge in series.lazy.map({ unsafeDowncast($0, to: Gauge.self) }) {
                writeSample(baseName, gauge.renderedLabels, gauge.value)
            }
        case .histogram:
            let bucketName = baseName + Array("_bucket".utf8)
            let sumName = baseName + Array("_sum".utf8)
            let countName = baseName + Array("_count".utf8)
            let bounds = isOpenMetrics ? descriptor.openMetricsBounds : descriptor.textBounds
            for histogram in series.lazy.map({ unsafeDowncast($0, to: Histogram.self) }) {
                let snapshot = histogram.snapshot()
                var cumulative: UInt64 = 0
                for (index, count) in snapshot.buckets.enumerated() {
                    cumulative += count
                    writeBucket(bucketName, histogram.renderedLabels, bounds[index], cumulative)
                }
                writeSample(sumName, histogram.renderedLabels, snapshot.sum)
                writeSample(countName, histogram.renderedLabels, Double(snapshot.count))
                if isOpenMetrics {
                    writeSample(createdName, histogram.renderedLabels, histogram.created)
                }
            }
        }
    }

    public mutating func finish() -> [UInt8] {
        if format == .openMetrics { buffer.append("# EOF\n") }
        return buffer.bytes
    }

    /// Like ``finish()``, but hands over the malloc'ed, NUL-terminated memory itself (the caller
    /// frees it with `free`); nil when memory runs out.
    public mutating func finishIntoMemory() -> (pointer: UnsafeMutablePointer<UInt8>, count: Int)? {
        if format == .openMetrics { buffer.append("# EOF\n") }
        return buffer.takeMemory()
    }

    private mutating func writeSample(_ name: [UInt8], _ labels: ArraySlice<UInt8>, _ value: Double) {
        buffer.append(name)
        if !labels.isEmpty || !constantLabels.isEmpty {
            buffer.append(byte: 0x7B)
            writeLabels(labels)
            buffer.append(byte: 0x7D)
        }
        buffer.append(byte: 0x20)
        buffer.appendValue(value)
        buffer.append(byte: 0x0A)
    }

    private mutating func writeBucket(_ name: [UInt8], _ labels: ArraySlice<UInt8>, _ bound: [UInt8], _ count: UInt64) {
        buffer.append(name)
        buffer.append(byte: 0x7B)
        if !labels.isEmpty || !constantLabels.isEmpty {
            writeLabels(labels)
            buffer.append(byte: 0x2C)
        }
        buffer.append("le=\"")
        buffer.append(bound)
        buffer.append("\"} ")
        buffer.appendInteger(count)
        buffer.append(byte: 0x0A)
    }

    private func writeLabels(_ labels: ArraySlice<UInt8>) {
        buffer.append(constantLabels)
        if !constantLabels.isEmpty && !labels.isEmpty { buffer.append(byte: 0x2C) }
        buffer.append(labels)
    }
}

import CFNMetrics

#if canImport(Glibc)
import Glibc
#endif

// The functions of cfn_metrics.h. Each one checks its pointers, catches every Swift error and maps
// it to a status code; nothing here may trap on input a C caller can pass.

let abiVersion: Int32 = 1
let versionText: StaticString = "0.1.0"

@_cdecl("cfn_abi_version")
public func cfn_abi_version() -> Int32 { abiVersion }

@_cdecl("cfn_version")
public func cfn_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(versionText.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("cfn_status_string")
public func cfn_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    let text = Status(rawValue: status)?.text ?? "unknown status"
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("cfn_last_error")
public func cfn_last_error() -> UnsafePointer<CChar> { LastError.get() }

// MARK: - Registries

@_cdecl("cfn_registry_default")
public func cfn_registry_default() -> OpaquePointer {
    OpaquePointer(Unmanaged.passUnretained(defaultRegistry).toOpaque())
}

@_cdecl("cfn_registry_new")
public func cfn_registry_new() -> OpaquePointer? {
    Handle.retain(Registry())
}

@_cdecl("cfn_registry_release")
public func cfn_registry_release(_ registry: OpaquePointer?) {
    guard let registry, registry != cfn_registry_default() else { return }
    Handle.release(registry, as: Registry.self)
}

@_cdecl("cfn_register_core_metrics")
public func cfn_register_core_metrics(_ registry: OpaquePointer?) -> Int32 {
    guard let registry else { return fail(.invalidArgument, "registry is NULL") }
    return guarded { () throws(MetricsError) in
        try CoreMetrics.register(in: Handle.object(registry, as: Registry.self))
    }
}

@_cdecl("cfn_registry_unregister")
public func cfn_registry_unregister(_ registry: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int32 {
    guard let registry else { return fail(.invalidArgument, "registry is NULL") }
    return guarded { () throws(MetricsError) in
        try Handle.object(registry, as: Registry.self).unregister(string(name, "name"))
    }
}

@_cdecl("cfn_registry_set_constant_labels")
public func cfn_registry_set_constant_labels(
    _ registry: OpaquePointer?, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
    _ values: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int
) -> Int32 {
    guard let registry else { return fail(.invalidArgument, "registry is NULL") }
    return guarded { () throws(MetricsError) in
        let labelNames = try strings(names, count, what: "names")
        let labelValues = try CStringLabelValues.copy(values, count, labelNames: labelNames)
        try Handle.object(registry, as: Registry.self).setConstantLabels(
            zip(labelNames, labelValues).map { (name: $0, value: $1) })
    }
}

@_cdecl("cfn_registry_render")
public func cfn_registry_render(
    _ registry: OpaquePointer?, _ format: Int32, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ outLength: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let registry else { return fail(.invalidArgument, "registry is NULL") }
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    let expositionFormat: ExpositionFormat
    switch format {
    case 0: expositionFormat = .text
    case 1: expositionFormat = .openMetrics
    default: return fail(.invalidArgument, "format \(format) is not a cfn_format (0 text, 1 OpenMetrics)")
    }
    guard let (memory, length) = Handle.object(registry, as: Registry.self).renderIntoMemory(expositionFormat) else {
        return fail(.noMemory, "out of memory while rendering")
    }
    out.pointee = UnsafeMutableRawPointer(memory).assumingMemoryBound(to: CChar.self)
    outLength?.pointee = length
    return Status.ok.rawValue
}

@_cdecl("cfn_buffer_free")
public func cfn_buffer_free(_ buffer: UnsafeMutablePointer<CChar>?) {
    free(buffer)
}

// MARK: - Families

private func registerFamily(
    _ registry: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ help: UnsafePointer<CChar>?,
    _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int, type: MetricType,
    buckets: [Double], _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guard let registry else { return fail(.invalidArgument, "registry is NULL") }
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    return guarded { () throws(MetricsError) in
        let family = try Handle.object(registry, as: Registry.self).register(
            name: string(name, "metric name"), help: string(help, "help"), type: type,
            labelNames: strings(labelNames, labelCount, what: "label_names"), buckets: buckets)
        out.pointee = Handle.retain(family)
    }
}

@_cdecl("cfn_counter_family")
public func cfn_counter_family(
    _ registry: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ help: UnsafePointer<CChar>?,
    _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    registerFamily(registry, name, help, labelNames, labelCount, type: .counter, buckets: [], out)
}

@_cdecl("cfn_gauge_family")
public func cfn_gauge_family(
    _ registry: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ help: UnsafePointer<CChar>?,
    _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    registerFamily(registry, name, help, labelNames, labelCount, type: .gauge, buckets: [], out)
}

@_cdecl("cfn_histogram_family")
public func cfn_histogram_family(
    _ registry: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ help: UnsafePointer<CChar>?,
    _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int,
    _ buckets: UnsafePointer<Double>?, _ bucketCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guard bucketCount >= 0, bucketCount == 0 || buckets != nil else {
        return fail(.invalidArgument, "buckets is NULL or bucket_count \(bucketCount) is negative")
    }
    let bounds = bucketCount == 0 ? [] : Array(UnsafeBufferPointer(start: buckets, count: bucketCount))
    return registerFamily(registry, name, help, labelNames, labelCount, type: .histogram, buckets: bounds, out)
}

@_cdecl("cfn_registry_family")
public func cfn_registry_family(
    _ registry: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guard let registry else { return fail(.invalidArgument, "registry is NULL") }
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    return guarded { () throws(MetricsError) in
        let name = try string(name, "name")
        guard let family = Handle.object(registry, as: Registry.self).family(named: name) else {
            throw MetricsError(.notFound, "metric \(name) is not registered")
        }
        out.pointee = Handle.retain(family)
    }
}

@_cdecl("cfn_family_release")
public func cfn_family_release(_ family: OpaquePointer?) {
    Handle.release(family, as: MetricFamily.self)
}

@_cdecl("cfn_family_series")
public func cfn_family_series(
    _ family: OpaquePointer?, _ labelValues: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guard let family else { return fail(.invalidArgument, "family is NULL") }
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    return Unmanaged<MetricFamily>.fromOpaque(UnsafeRawPointer(family))._withUnsafeGuaranteedRef { family in
        guarded { () throws(MetricsError) in
            let values = try labelBuffer(labelValues, labelCount, what: "label_values")
            out.pointee = Handle.retain(try family.series(cLabelValues: values))
        }
    }
}

@_cdecl("cfn_family_remove")
public func cfn_family_remove(
    _ family: OpaquePointer?, _ labelValues: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int
) -> Int32 {
    guard let family else { return fail(.invalidArgument, "family is NULL") }
    return guarded { () throws(MetricsError) in
        let values = try labelBuffer(labelValues, labelCount, what: "label_values")
        try Handle.object(family, as: MetricFamily.self).remove(cLabelValues: values)
    }
}

@_cdecl("cfn_family_reset")
public func cfn_family_reset(_ family: OpaquePointer?) -> Int32 {
    guard let family else { return fail(.invalidArgument, "family is NULL") }
    Handle.object(family, as: MetricFamily.self).reset()
    return Status.ok.rawValue
}

@_cdecl("cfn_series_release")
public func cfn_series_release(_ series: OpaquePointer?) {
    Handle.release(series, as: Series.self)
}

// MARK: - Updates
//
// The hot path: no retain or release of the handle (the caller's reference keeps it alive), a
// type check on a field of the series itself, and no error value built unless a call fails.

@inline(__always)
private func withSeries<S: Series>(
    _ pointer: OpaquePointer?, _ type: MetricType, _: S.Type, _ body: (S) throws(MetricsError) -> Void
) -> Int32 {
    guard let pointer else { return fail(.invalidArgument, "series is NULL") }
    return Unmanaged<Series>.fromOpaque(UnsafeRawPointer(pointer))._withUnsafeGuaranteedRef { series in
        guard series.metricType == type else { return wrongType(series, type) }
        do throws(MetricsError) {
            try body(unsafeDowncast(series, to: S.self))
            return Status.ok.rawValue
        } catch {
            return fail(error)
        }
    }
}

private func wrongType(_ series: Series, _ type: MetricType) -> Int32 {
    fail(.wrongType, "metric \(series.descriptor.name) is a \(series.metricType.rawValue), not a \(type.rawValue)")
}

@_cdecl("cfn_counter_inc")
public func cfn_counter_inc(_ series: OpaquePointer?) -> Int32 {
    withSeries(series, .counter, Counter.self) { $0.inc() }
}

@_cdecl("cfn_counter_add")
public func cfn_counter_add(_ series: OpaquePointer?, _ delta: Double) -> Int32 {
    withSeries(series, .counter, Counter.self) { (counter) throws(MetricsError) in try counter.add(delta) }
}

@_cdecl("cfn_gauge_set")
public func cfn_gauge_set(_ series: OpaquePointer?, _ value: Double) -> Int32 {
    withSeries(series, .gauge, Gauge.self) { $0.set(value) }
}

@_cdecl("cfn_gauge_add")
public func cfn_gauge_add(_ series: OpaquePointer?, _ delta: Double) -> Int32 {
    withSeries(series, .gauge, Gauge.self) { $0.add(delta) }
}

@_cdecl("cfn_histogram_observe")
public func cfn_histogram_observe(_ series: OpaquePointer?, _ value: Double) -> Int32 {
    withSeries(series, .histogram, Histogram.self) { (histogram) throws(MetricsError) in try histogram.observe(value) }
}

@_cdecl("cfn_series_value")
public func cfn_series_value(_ series: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let series else { return fail(.invalidArgument, "series is NULL") }
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    switch Handle.object(series, as: Series.self) {
    case let counter as Counter: out.pointee = counter.value
    case let gauge as Gauge: out.pointee = gauge.value
    case let other:
        return fail(.wrongType, "metric \(other.descriptor.name) is a histogram: it has no single value")
    }
    return Status.ok.rawValue
}

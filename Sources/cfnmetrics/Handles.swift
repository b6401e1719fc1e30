import CFNMetrics

/// Handles are retained Swift objects passed to C as opaque pointers. A handle returned through an
/// out-parameter carries one reference; the matching release call gives it back.
enum Handle {
    static func retain<T: AnyObject>(_ object: T) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }

    @inline(__always)
    static func object<T: AnyObject>(_ pointer: OpaquePointer, as: T.Type) -> T {
        Unmanaged<T>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    static func release<T: AnyObject>(_ pointer: OpaquePointer?, as: T.Type) {
        guard let pointer else { return }
        Unmanaged<T>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }
}

/// The registry returned by cfn_registry_default; never released.
let defaultRegistry = Registry()

func labelBuffer(
    _ pointer: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, what: String
) throws(MetricsError) -> UnsafeBufferPointer<UnsafePointer<CChar>?> {
    guard count >= 0, count < 1 << 32 else {
        throw MetricsError(.invalidArgument, "\(what) count \(UInt(bitPattern: count)) is too large")
    }
    if count == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
    guard let pointer else { throw MetricsError(.invalidArgument, "\(what) is NULL but its count is \(count)") }
    return UnsafeBufferPointer(start: pointer, count: count)
}

func string(_ pointer: UnsafePointer<CChar>?, _ what: String) throws(MetricsError) -> String {
    guard let pointer else { throw MetricsError(.invalidArgument, "\(what) is NULL") }
    guard let text = String(validatingCString: pointer) else {
        throw MetricsError(.invalidArgument, "\(what) is not valid UTF-8")
    }
    return text
}

func strings(
    _ pointer: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, what: String
) throws(MetricsError) -> [String] {
    var result: [String] = []
    for (index, element) in try labelBuffer(pointer, count, what: what).enumerated() {
        result.append(try string(element, "\(what)[\(index)]"))
    }
    return result
}

/// The `cfn_registry *` that C code (plugins among it) uses for `registry`. Unretained: the
/// caller keeps the registry alive while C code holds the pointer.
public func registryHandle(_ registry: Registry) -> OpaquePointer {
    OpaquePointer(Unmanaged.passUnretained(registry).toOpaque())
}

/// The registry behind cfn_registry_default, for Swift code in the same process.
public var processRegistry: Registry { defaultRegistry }

/// Label values from C for anything but a series lookup: checked as UTF-8 like series values are.
enum CStringLabelValues {
    static func copy(
        _ pointer: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, labelNames: [String]
    ) throws(MetricsError) -> [String] {
        var result: [String] = []
        for (index, element) in try labelBuffer(pointer, count, what: "values").enumerated() {
            guard let element else {
                throw MetricsError(.invalidArgument, "value of constant label \(labelNames[index]) is NULL")
            }
            guard let text = String(validatingCString: element) else {
                throw MetricsError(
                    .invalidLabelValue, "value of constant label \(labelNames[index]) is not valid UTF-8")
            }
            result.append(text)
        }
        return result
    }
}

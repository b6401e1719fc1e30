import CFNMetrics

#if canImport(Glibc)
import Glibc
#endif

/// The status codes of cfn_metrics.h, kept in the same numeric order.
enum Status: Int32 {
    case ok = 0
    case invalidArgument = -1
    case invalidName = -2
    case invalidLabel = -3
    case labelCount = -4
    case invalidValue = -5
    case conflict = -6
    case wrongType = -7
    case notFound = -8
    case noMemory = -9

    init(_ kind: MetricsError.Kind) {
        switch kind {
        case .invalidArgument: self = .invalidArgument
        case .invalidName: self = .invalidName
        case .invalidLabelValue: self = .invalidLabel
        case .labelCount: self = .labelCount
        case .invalidValue: self = .invalidValue
        case .conflict: self = .conflict
        case .wrongType: self = .wrongType
        case .notFound: self = .notFound
        }
    }

    var text: StaticString {
        switch self {
        case .ok: "ok"
        case .invalidArgument: "invalid argument"
        case .invalidName: "invalid metric or label name"
        case .invalidLabel: "invalid label value"
        case .labelCount: "wrong number of label values"
        case .invalidValue: "invalid value"
        case .conflict: "conflicting registration"
        case .wrongType: "wrong metric type"
        case .notFound: "not found"
        case .noMemory: "out of memory"
        }
    }
}

/// The per-thread message behind cfn_last_error, kept in a pthread key so each thread reads its own.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    private static let empty: StaticString = ""

    static func set(_ message: String) {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(message))
    }

    static func get() -> UnsafePointer<CChar> {
        if let stored = pthread_getspecific(key) { return UnsafePointer(stored.assumingMemoryBound(to: CChar.self)) }
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// Records `error` as this thread's last error and returns its status code.
func fail(_ error: MetricsError) -> Int32 {
    LastError.set(error.message)
    return Status(error.kind).rawValue
}

func fail(_ status: Status, _ message: String) -> Int32 {
    LastError.set(message)
    return status.rawValue
}

/// Runs `body`, turning a thrown MetricsError into its status code.
@inline(__always)
func guarded(_ body: () throws(MetricsError) -> Void) -> Int32 {
    do {
        try body()
        return Status.ok.rawValue
    } catch {
        return fail(error)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One line per event on standard error: a constant message plus key=value fields, as logfmt or JSON.
public final class Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case error = 0, warn, info, debug

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name }) else { return nil }
            self = level
        }

        public var name: String {
            switch self {
            case .error: "error"
            case .warn: "warn"
            case .info: "info"
            case .debug: "debug"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public enum Format: String, Sendable, CaseIterable {
        case logfmt, json
    }

    public let level: Level
    public let format: Format
    private let output = Mutex<Void>(())

    public init(level: Level = .info, format: Format = .logfmt) {
        self.level = level
        self.format = format
    }

    public func enabled(_ level: Level) -> Bool { level <= self.level }

    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message, fields) }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warn, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message, fields) }
    public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message, fields) }

    public func log(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, String>) {
        guard enabled(level) else { return }
        log(level, message, fields: fields.map { ($0.key, $0.value) }, rawFields: nil)
    }

    /// Logs with fields already rendered as logfmt by someone else (a plugin). JSON output splits
    /// them into members; text that is not valid logfmt is kept whole, as one "fields" member.
    public func log(_ level: Level, _ message: String, fields: [(String, String)], rawFields: String?) {
        guard enabled(level) else { return }
        var all = [("ts", timestamp()), ("level", level.name), ("msg", message)] + fields
        var line: String
        switch format {
        case .logfmt:
            line = all.map { "\($0.0)=\(Logger.logfmtValue($0.1))" }.joined(separator: " ")
            if let rawFields, !rawFields.isEmpty { line += " " + rawFields }
        case .json:
            if let rawFields, !rawFields.isEmpty {
                all += Logger.parseLogfmt(rawFields) ?? [("fields", rawFields)]
            }
            let members = all.map { "\(Logger.jsonString($0.0)):\(Logger.jsonString($0.1))" }
            line = "{" + members.joined(separator: ",") + "}"
        }
        line += "\n"
        // One write per line, under a lock, so lines from several threads never interleave.
        output.withLock { _ in writeStandardError(line) }
    }

    /// `key=value key="quoted \"value\""` as pairs, or nil if the text is not logfmt.
    static func parseLogfmt(_ text: String) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == " " }
            if rest.isEmpty { return pairs }
            guard let equals = rest.firstIndex(of: "="), equals != rest.startIndex else { return nil }
            let key = String(rest[..<equals])
            guard !key.contains(" "), !key.contains("\"") else { return nil }
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" {
                        closed = true
                        break
                    }
                    guard character == "\\" else {
                        value.append(character)
                        continue
                    }
                    guard let escaped = rest.first else { return nil }
                    rest = rest.dropFirst()
                    switch escaped {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    default: value.append(escaped)
                    }
                }
                guard closed, rest.isEmpty || rest.first == " " else { return nil }
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            pairs.append((key, value))
        }
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C }
        return needsQuotes ? quoted(value) : value
    }

    static func jsonString(_ value: String) -> String {
        quoted(value)
    }

    /// A double-quoted string with quote, backslash and control characters escaped: valid both
    /// as a logfmt value and as a JSON string.
    private static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var parts = tm()
        var seconds = spec.tv_sec
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = Int(spec.tv_nsec / 1_000_000)
        let base = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return base + "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + String(millis) + "Z"
    }
}

/// Writes all of `text` to standard error with write(2), retrying short writes.
public func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { break }
        offset += written
    }
}

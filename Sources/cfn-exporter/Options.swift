import CFNHTTP
import CFNLogging

/// What the command line and the environment asked for. Every flag has an environment twin under
/// the `CFN_` prefix; a flag wins over its twin, and a malformed value in either is an error.
struct Options {
    struct Web {
        var listenAddress = ListenAddress(host: "127.0.0.1", port: 3000)
        var telemetryPath = "/prometheus/metrics"
        var maxRequests = 4
    }

    struct Logging {
        var level = Logger.Level.info
        var format = Logger.Format.logfmt
    }

    var web = Web()
    var logging = Logging()
    var collectorTimeoutMilliseconds: UInt32 = 5000
    var plugins: [String] = []
    /// Options per plugin name, in the order given.
    var pluginOptions: [String: [(key: String, value: String)]] = [:]
    var showHelp = false
    var showVersion = false
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
}

extension Options {
    static let usage = """
        Usage: cfn-exporter [flags]

        Serves blocking-coordination metrics for Prometheus, collected by plugins (e.g. redis).

        Flags (each also read from the environment variable in brackets):
          --web.listen-address=HOST:PORT  address to listen on; port 0 picks a free port; :PORT
                                          listens on all IPv4 addresses, [::]:PORT on all IPv6
                                          [CFN_WEB_LISTEN_ADDRESS] (default 127.0.0.1:3000)
          --web.telemetry-path=PATH       path of the metrics; /metrics answers too
                                          [CFN_WEB_TELEMETRY_PATH] (default /prometheus/metrics)
          --web.max-requests=N            scrapes served at once; more get 503
                                          [CFN_WEB_MAX_REQUESTS] (default 4)
          --collector.timeout=DURATION    deadline for all collectors in one scrape, e.g. 5s, 500ms
                                          [CFN_COLLECTOR_TIMEOUT] (default 5s)
          --plugin=NAME|PATH              load a collector plugin; repeatable; a bare NAME is
                                          found next to this binary or in ../lib/cfn-metrics/plugins
                                          [CFN_PLUGINS, comma-separated]
          --plugin.NAME.KEY=VALUE         an option for plugin NAME, e.g.
                                          --plugin.redis.url=redis://127.0.0.1:6379/0
                                          (the redis plugin defaults its url to CFN_REDIS_URL)
          --log.level=LEVEL               error, warn, info or debug [CFN_LOG_LEVEL] (default info)
          --log.format=FORMAT             logfmt or json [CFN_LOG_FORMAT] (default logfmt)
          -h, --help                      show this text
          --version                       show the version

        Endpoints: the telemetry path and /metrics, /-/healthy, and / (a page linking to them).
        Exit status: 0 after SIGINT or SIGTERM, 1 if serving fails (e.g. the port is in use),
        2 for a bad flag, environment value or plugin.

        """

    static let valueFlags: Set = [
        "web.listen-address", "web.telemetry-path", "web.max-requests", "collector.timeout", "plugin",
        "log.level", "log.format",
    ]

    /// Parses `arguments` (without the program name) over `environment`.
    static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> Options {
        var options = Options()
        // Help and version answer even when the environment holds a malformed value.
        if arguments.contains(where: { ["-h", "--help", "--version"].contains($0) }) {
            options.showHelp = arguments.contains("-h") || arguments.contains("--help")
            options.showVersion = arguments.contains("--version")
            return options
        }
        try options.apply(environment: environment)
        var commandLinePlugins: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" {
                options.showHelp = true
                continue
            }
            guard argument.hasPrefix("--") else { throw UsageError(description: "unexpected argument \"\(argument)\"") }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            switch name {
            case "help", "version":
                throw UsageError(description: "flag --\(name) takes no value")
            default:
                guard valueFlags.contains(name) || name.hasPrefix("plugin.") else {
                    throw UsageError(description: "unknown flag --\(name)")
                }
                if value == nil {
                    guard index < arguments.count else { throw UsageError(description: "flag --\(name) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                if name == "plugin" {
                    commandLinePlugins.append(value!)
                } else {
                    try options.set(flag: name, value: value!, source: "flag --\(name)")
                }
            }
        }
        if !commandLinePlugins.isEmpty { options.plugins = commandLinePlugins }
        return options
    }

    private mutating func apply(environment: [String: String]) throws(UsageError) {
        let twins = [
            ("CFN_WEB_LISTEN_ADDRESS", "web.listen-address"), ("CFN_WEB_TELEMETRY_PATH", "web.telemetry-path"),
            ("CFN_WEB_MAX_REQUESTS", "web.max-requests"), ("CFN_COLLECTOR_TIMEOUT", "collector.timeout"),
            ("CFN_LOG_LEVEL", "log.level"), ("CFN_LOG_FORMAT", "log.format"),
        ]
        for (variable, flag) in twins {
            if let value = environment[variable] {
                try set(flag: flag, value: value, source: "environment variable \(variable)")
            }
        }
        if let list = environment["CFN_PLUGINS"] {
            plugins = list.split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty }
        }
    }

    private mutating func set(flag: String, value: String, source: String) throws(UsageError) {
        func bad(_ why: String) -> UsageError {
            UsageError(description: "\(source): invalid value \"\(value)\": \(why)")
        }
        switch flag {
        case "web.listen-address":
            do { web.listenAddress = try ListenAddress(parsing: value) } catch { throw bad("expected HOST:PORT") }
        case "web.telemetry-path":
            let reserved = ["/", "/-/healthy", "/-/ready"]
            guard value.hasPrefix("/"), !reserved.contains(value),
                  value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "?" && $0 != "#" })
            else {
                throw bad("expected a path starting with /, without spaces, ? or #, other than / and /-/healthy")
            }
            web.telemetryPath = value
        case "web.max-requests":
            guard let count = Int(value), count > 0, count <= 1000 else {
                throw bad("expected a number from 1 to 1000")
            }
            web.maxRequests = count
        case "collector.timeout":
            guard let milliseconds = parseDuration(value), milliseconds > 0, milliseconds <= 600_000 else {
                throw bad("expected a duration with a unit (ms, s or m) from 1ms to 10m, e.g. 5s or 500ms")
            }
            collectorTimeoutMilliseconds = milliseconds
        case "log.level":
            guard let level = Logger.Level(name: value) else { throw bad("expected error, warn, info or debug") }
            logging.level = level
        case "log.format":
            guard let format = Logger.Format(rawValue: value) else { throw bad("expected logfmt or json") }
            logging.format = format
        default:
            guard flag.hasPrefix("plugin.") else { throw UsageError(description: "unknown flag --\(flag)") }
            let parts = flag.dropFirst("plugin.".count).split(separator: ".", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw UsageError(description: "flag --\(flag) is not of the form --plugin.NAME.KEY=VALUE")
            }
            pluginOptions[String(parts[0]), default: []].append((String(parts[1]), value))
        }
    }
}

/// `250ms`, `5s` or `1m` as milliseconds. The unit is required: a bare `5` could mean either.
func parseDuration(_ text: String) -> UInt32? {
    let units: [(String, UInt64)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        let digits = text.dropLast(suffix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = UInt64(digits),
              number <= UInt64(UInt32.max) / scale else { return nil }
        return UInt32(number * scale)
    }
    return nil
}

extension String {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

import CFNLogging
import CFNMetrics
import Synchronization
import cfnmetrics

#if canImport(Glibc)
import Glibc
#endif

/// Loads collector plugins and runs them before each scrape, keeping per-collector bookkeeping:
/// `cfn_collector_up`, `cfn_collector_duration_seconds` and `cfn_collector_failures_total`.
///
/// `@unchecked Sendable`: `plugins` is only changed before serving starts and at shutdown, and every
/// collection runs under `collecting`.
public final class PluginHost: @unchecked Sendable {
    private let registry: Registry
    private let logger: Logger
    private var plugins: [LoadedPlugin] = []
    private let collecting = Mutex<Void>(())
    private let up: MetricFamily
    private let duration: MetricFamily
    private let failures: MetricFamily

    public init(registry: Registry, logger: Logger) throws(MetricsError) {
        self.registry = registry
        self.logger = logger
        up = try registry.gauge(
            "cfn_collector_up", help: "Whether the collector's last collection succeeded (1) or failed (0)",
            labelNames: ["collector"])
        duration = try registry.gauge(
            "cfn_collector_duration_seconds", help: "Duration of the collector's last collection in seconds",
            labelNames: ["collector"])
        failures = try registry.counter(
            "cfn_collector_failures_total", help: "Collections that failed, by collector", labelNames: ["collector"])
    }

    /// Names of the loaded plugins, in load order.
    public var pluginNames: [String] { plugins.map(\.name) }

    /// Loads a plugin by name or path without starting it, and returns its descriptor name.
    public func load(_ spec: String) throws(PluginError) -> String {
        let path = try PluginLocator.resolve(spec)
        let plugin = try LoadedPlugin(path: path, logger: logger)
        if plugins.contains(where: { $0.name == plugin.name }) {
            throw PluginError("plugin \(plugin.name) is loaded twice (\(path))")
        }
        plugins.append(plugin)
        logger.info("plugin loaded", ["plugin": plugin.name, "version": plugin.version, "path": path])
        return plugin.name
    }

    /// Starts every loaded plugin with its options (keyed by plugin name).
    public func start(options: [String: [(key: String, value: String)]]) throws(PluginError) {
        for plugin in plugins {
            try plugin.start(options: options[plugin.name] ?? [])
            _ = try? up.gauge(plugin.name)
        }
    }

    /// Runs every plugin's collect, one after another, each bounded by `timeoutMilliseconds`.
    /// A failing plugin is logged and exported as down; it never fails the scrape.
    public func collect(timeoutMilliseconds: UInt32) {
        collecting.withLock { _ in
            let handle = registryHandle(registry)
            for plugin in plugins {
                let started = monotonicSeconds()
                let error = plugin.collect(registry: handle, timeoutMilliseconds: timeoutMilliseconds)
                let elapsed = monotonicSeconds() - started
                try? duration.gauge(plugin.name).set(elapsed)
                if let error {
                    try? up.gauge(plugin.name).set(0)
                    try? failures.counter(plugin.name).inc()
                    // A source that stays down fails every scrape the same way: say it once at
                    // error level, and again only when the reason changes.
                    let level: Logger.Level = error == plugin.lastError ? .debug : .error
                    logger.log(level, "collector failed", ["plugin": plugin.name, "error": error])
                } else {
                    try? up.gauge(plugin.name).set(1)
                    if plugin.lastError != nil {
                        logger.info("collector recovered", ["plugin": plugin.name])
                    }
                    logger.debug("collector succeeded", ["plugin": plugin.name, "duration_seconds": "\(elapsed)"])
                }
                plugin.lastError = error
            }
        }
    }

    /// Calls every plugin's shutdown, in reverse load order.
    public func shutdown() {
        collecting.withLock { _ in
            for plugin in plugins.reversed() { plugin.shutdown() }
            plugins.removeAll()
        }
    }
}

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

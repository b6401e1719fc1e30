import CFNHTTP
import CFNLogging
import CFNMetrics
import CFNPluginHost
import cfnmetrics

#if canImport(Glibc)
import Glibc
#endif

let exporterVersion = "0.1.0"

/// Wires flags, registry, plugins and the HTTP server together, and waits for a stop signal.
enum Exporter {
    static func run(arguments: [String], environment: [String: String]) -> Int32 {
        let options: Options
        do {
            options = try Options.parse(arguments, environment: environment)
        } catch {
            printError("cfn-exporter: \(error.description)\nRun cfn-exporter --help for the flags.")
            return 2
        }
        if options.showHelp {
            print(Options.usage, terminator: "")
            return 0
        }
        if options.showVersion {
            print("cfn-exporter \(exporterVersion) (metrics ABI \(cfn_abi_version()))")
            return 0
        }
        let logger = Logger(level: options.logging.level, format: options.logging.format)

        // Signals go to sigwait below: block them before any thread starts so every thread inherits it.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let registry = processRegistry
        let host: PluginHost
        let routes: Routes
        do {
            try CoreMetrics.register(in: registry)
            let buildInfo = try registry.gauge(
                "cfn_exporter_build_info", help: "A constant 1, labelled with the exporter's version",
                labelNames: ["version"])
            try buildInfo.gauge(exporterVersion).set(1)
            host = try PluginHost(registry: registry, logger: logger)
            routes = try Routes(registry: registry, host: host, options: options, logger: logger)
        } catch {
            logger.error("cannot set up the registry", ["error": error.description])
            return 1
        }

        do {
            try startPlugins(options, host: host)
        } catch {
            printError("cfn-exporter: \(error.description)")
            return 2
        }

        var limits = HTTPServer.Limits()
        // Two threads more than the scrapes allowed at once, so health checks and 503s still get
        // through while every scrape slot waits on a slow collector.
        limits.threads = UInt32(options.web.maxRequests + 2)
        let server = HTTPServer(limits: limits, logger: logger) { routes.handle($0) }
        let address: String
        do {
            address = try server.start(options.web.listenAddress)
        } catch {
            logger.error("cannot serve HTTP", ["error": error.description])
            host.shutdown()
            // An address that cannot be resolved is a bad flag value; anything else is a failure.
            return error.kind == .invalidAddress ? 2 : 1
        }
        let plugins = host.pluginNames.joined(separator: ",")
        logger.info("starting cfn-exporter", ["version": exporterVersion, "plugins": plugins])
        logger.info("listening", ["address": address, "telemetry_path": options.web.telemetryPath])

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.info("stopping", ["signal": received == SIGINT ? "SIGINT" : "SIGTERM"])
        server.stop()
        host.shutdown()
        return 0
    }

    private static func startPlugins(_ options: Options, host: PluginHost) throws(PluginError) {
        var loaded: [String] = []
        for spec in options.plugins {
            loaded.append(try host.load(spec))
        }
        for name in options.pluginOptions.keys where !loaded.contains(name) {
            throw PluginError("options were given for plugin \(name), but no plugin of that name is loaded")
        }
        try host.start(options: options.pluginOptions)
    }

    private static func printError(_ text: String) {
        writeStandardError(text + "\n")
    }
}

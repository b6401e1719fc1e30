import CFNHTTP
import CFNLogging
import CFNMetrics
import CFNPluginHost
import Synchronization

/// Answers every HTTP request: metrics (collect, render, negotiate, compress), health, and a home page.
///
/// `@unchecked Sendable`: all stored properties are immutable or atomic.
final class Routes: @unchecked Sendable {
    private let registry: Registry
    private let host: PluginHost
    private let options: Options
    private let logger: Logger
    private let inFlight = Atomic<Int>(0)
    private let requests: MetricFamily

    init(registry: Registry, host: PluginHost, options: Options, logger: Logger) throws(MetricsError) {
        self.registry = registry
        self.host = host
        self.options = options
        self.logger = logger
        requests = try registry.counter(
            "cfn_http_requests_total", help: "HTTP requests answered by the exporter, by handler and status code",
            labelNames: ["handler", "code"])
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let (handler, response) = route(request)
        try? requests.counter(handler, String(response.status)).inc()
        return response
    }

    private func route(_ request: HTTPRequest) -> (String, HTTPResponse) {
        let handler: String
        switch request.path {
        case options.web.telemetryPath, "/metrics": handler = "metrics"
        case "/-/healthy", "/-/ready": handler = "health"
        case "/": handler = "home"
        default: return ("other", .text(404, "404 page not found: \(shown(request.path))\n"))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.text(405, "method \(shown(request.method)) not allowed: use GET or HEAD\n")
            response.headers.append(("Allow", "GET, HEAD"))
            return (handler, response)
        }
        switch handler {
        case "metrics": return (handler, metrics(request))
        case "health": return (handler, .text(200, "OK\n"))
        default: return (handler, home())
        }
    }

    private func metrics(_ request: HTTPRequest) -> HTTPResponse {
        let running = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        guard running <= options.web.maxRequests else {
            logger.warn("scrape refused: too many in flight", ["limit": String(options.web.maxRequests)])
            return .text(503, "too many concurrent scrapes (limit \(options.web.maxRequests)); retry later\n")
        }
        host.collect(timeoutMilliseconds: collectTimeout(request))
        let format = Negotiation.format(accept: request.header("Accept"))
        var response = HTTPResponse(status: 200, contentType: format.contentType, body: registry.render(format))
        response.headers.append(("Vary", "Accept, Accept-Encoding"))
        if Gzip.accepted(by: request.header("Accept-Encoding")) {
            if let compressed = Gzip.compress(response.body) {
                response.body = compressed
                response.headers.append(("Content-Encoding", "gzip"))
            } else {
                logger.warn("gzip failed; answering uncompressed", ["bytes": String(response.body.count)])
            }
        }
        return response
    }

    /// The configured deadline, shortened to fit Prometheus's own scrape timeout when it sends one,
    /// but never below one second: any client can send the header, and a tiny deadline would fail
    /// the collection for every scraper.
    private func collectTimeout(_ request: HTTPRequest) -> UInt32 {
        let configured = options.collectorTimeoutMilliseconds
        guard let header = request.header("X-Prometheus-Scrape-Timeout-Seconds"), let seconds = Double(header),
              seconds.isFinite, seconds > 0 else { return configured }
        let budget = max((seconds - 0.5) * 1000, 1000)
        return budget < Double(configured) ? UInt32(budget) : configured
    }

    private func home() -> HTTPResponse {
        let path = htmlEscaped(options.web.telemetryPath)
        let page = """
            <!DOCTYPE html>
            <html><head><title>cfn-exporter</title></head>
            <body><h1>cfn-exporter</h1>
            <p>Blocking-coordination metrics for Prometheus.</p>
            <ul><li><a href="\(path)">\(path)</a></li><li><a href="/-/healthy">/-/healthy</a></li></ul>
            </body></html>

            """
        return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: Array(page.utf8))
    }
}

/// Client text echoed in an error body: at most 100 characters, control characters replaced.
private func shown(_ text: String) -> String {
    let cleaned = String(text.unicodeScalars.prefix(100).map {
        $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0)
    })
    return text.unicodeScalars.count > 100 ? cleaned + "…" : cleaned
}

private func htmlEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(character)
        }
    }
    return out
}

/// Picks the exposition format from an Accept header, as Prometheus sends it.
enum Negotiation {
    static func format(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text }
        var best: (format: ExpositionFormat, quality: Double)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let type = parts.first else { continue }
            var quality = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                if parameter.hasPrefix("q="), let value = Double(parameter.dropFirst(2)) { quality = value }
                if parameter.hasPrefix("version=") { version = String(parameter.dropFirst(8)) }
            }
            let format: ExpositionFormat
            switch type {
            case "application/openmetrics-text" where version == nil || version == "1.0.0" || version == "0.0.1":
                format = .openMetrics
            case "text/plain", "text/*", "*/*":
                format = .text
            default:
                continue
            }
            if quality > 0, quality > (best?.quality ?? 0) { best = (format, quality) }
        }
        return best?.format ?? .text
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

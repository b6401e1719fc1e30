import Testing

@testable import CFNMetrics

@Suite struct RegistryTests {
    @Test func identicalRegistrationReturnsTheSameFamily() throws {
        let registry = Registry()
        let first = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["queue"])
        let second = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["queue"])
        #expect(first === second)
    }

    @Test func conflictingRegistrationNamesWhatDiffers() throws {
        let registry = Registry()
        _ = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["queue"])
        let error = #expect(throws: MetricsError.self) {
            try registry.gauge("jobs_total", help: "Jobs.", labelNames: ["queue"])
        }
        #expect(error?.kind == .conflict)
        #expect(error?.message.contains("jobs_total") == true)
        #expect(error?.message.contains("type gauge differs from registered counter") == true)

        let labels = #expect(throws: MetricsError.self) {
            try registry.counter("jobs_total", help: "Jobs.", labelNames: ["pool"])
        }
        #expect(labels?.message.contains("label names") == true)
    }

    @Test(arguments: ["", "1abc", "a-b", "__reserved", "with space", "é"])
    func refusesInvalidMetricNames(name: String) {
        let error = #expect(throws: MetricsError.self) { try Registry().gauge(name, help: "h") }
        #expect(error?.kind == .invalidName)
        #expect(error?.message.contains("invalid metric name") == true)
    }

    @Test(arguments: ["a:b", "1x", "__x", ""])
    func refusesInvalidLabelNames(name: String) {
        let error = #expect(throws: MetricsError.self) { try Registry().gauge("g", help: "h", labelNames: [name]) }
        #expect(error?.kind == .invalidName)
    }

    @Test func refusesLeOnHistogramsAndDuplicateLabels() {
        #expect(throws: MetricsError.self) {
            try Registry().histogram("h", help: "h", labelNames: ["le"], buckets: [1])
        }
        #expect(throws: MetricsError.self) { try Registry().gauge("g", help: "h", labelNames: ["a", "a"]) }
    }

    @Test func refusesBadBuckets() {
        let cases: [[Double]] = [[1, 1], [2, 1], [1, .nan], [-.infinity, 1]]
        for buckets in cases {
            let error = #expect(throws: MetricsError.self) {
                try Registry().histogram("h", help: "h", buckets: buckets)
            }
            #expect(error?.kind == .invalidValue, "buckets \(buckets)")
            #expect(error?.message.contains("metric h") == true)
        }
    }

    @Test func wrongLabelCountNamesTheMetric() throws {
        let family = try Registry().gauge("g", help: "h", labelNames: ["a", "b"])
        let error = #expect(throws: MetricsError.self) { try family.gauge("only-one") }
        #expect(error?.kind == .labelCount)
        #expect(error?.message == "metric g: got 1 label values, expected 2 (a, b)")
    }

    @Test func counterRefusesNegativeAndNaN() throws {
        let counter = try Registry().counter("c_total", help: "h").counter()
        #expect(throws: MetricsError.self) { try counter.add(-1) }
        #expect(throws: MetricsError.self) { try counter.add(.nan) }
        try counter.add(2.5)
        counter.inc()
        #expect(counter.value == 3.5)
    }

    @Test func seriesIsFoundAgainByTheSameLabelValues() throws {
        let family = try Registry().gauge("g", help: "h", labelNames: ["a"])
        let first = try family.gauge("x")
        #expect(try family.gauge("x") === first)
        #expect(try family.gauge("y") !== first)
    }

    @Test func cStringLookupFindsTheSeriesMadeFromSwift() throws {
        let family = try Registry().gauge("g", help: "h", labelNames: ["a", "b"])
        let made = try family.gauge("ünï", "two")
        let found = try withCStrings(["ünï", "two"]) { try family.series(cLabelValues: $0) }
        #expect(found === made)
    }

    @Test func cStringLookupRefusesInvalidUTF8() throws {
        let family = try Registry().gauge("g", help: "h", labelNames: ["a"])
        let bytes: [CChar] = [CChar(bitPattern: 0xC3), 0x28, 0]
        let error = bytes.withUnsafeBufferPointer { buffer -> MetricsError? in
            let pointers: [UnsafePointer<CChar>?] = [buffer.baseAddress]
            return pointers.withUnsafeBufferPointer { list -> MetricsError? in
                do {
                    _ = try family.series(cLabelValues: list)
                    return nil
                } catch let error as MetricsError {
                    return error
                } catch {
                    return nil
                }
            }
        }
        #expect(error?.kind == .invalidLabelValue)
        #expect(error?.message.contains("label a") == true)
    }

    @Test func removeResetAndUnregisterLeaveNoTrace() throws {
        let registry = Registry()
        let family = try registry.gauge("g", help: "h", labelNames: ["a"])
        try family.gauge("x").set(1)
        try family.gauge("y").set(2)
        try family.remove(["x"])
        #expect(render(registry).contains("g{a=\"x\"}") == false)
        #expect(render(registry).contains("g{a=\"y\"} 2"))
        #expect(throws: MetricsError.self) { try family.remove(["x"]) }
        family.reset()
        #expect(render(registry) == "# HELP g h\n# TYPE g gauge\n")
        try registry.unregister("g")
        #expect(render(registry) == "")
        #expect(throws: MetricsError.self) { try registry.unregister("g") }
    }

    @Test func refusesNamesWhoseSamplesWouldClash() throws {
        let registry = Registry()
        _ = try registry.histogram("wait_seconds", help: "h", buckets: [1])
        _ = try registry.counter("jobs_total", help: "h")
        let clashes: [(String, MetricType)] = [
            ("wait_seconds_count", .gauge), ("wait_seconds_bucket", .counter), ("jobs", .gauge),
            ("jobs_created", .gauge), ("jobs", .counter),
        ]
        for (name, type) in clashes {
            let error = #expect(throws: MetricsError.self, "\(name)") {
                try registry.register(name: name, help: "h", type: type, labelNames: [], buckets: [])
            }
            #expect(error?.kind == .conflict)
            #expect(error?.message.hasPrefix("metric \(name) would clash") == true, "\(error?.message ?? "")")
        }
        #expect(throws: Never.self) { try registry.gauge("jobs_total_ratio", help: "h") }
    }

    @Test func coreMetricsRegisterTwiceWithoutError() throws {
        let registry = Registry()
        try CoreMetrics.register(in: registry)
        try CoreMetrics.register(in: registry)
        #expect(registry.sortedFamilies().map(\.descriptor.name) == [
            "blocking_coordinators_total", "blocking_duration_seconds", "heartbeat_failures_total",
            "signal_delivery_latency_seconds", "timeout_events_total",
        ])
        #expect(registry.family(named: "blocking_duration_seconds")?.descriptor.buckets
            == [1, 5, 10, 30, 60, 120, 300, 600, 1800])
    }
}

func render(_ registry: Registry, _ format: ExpositionFormat = .text) -> String {
    String(decoding: registry.render(format), as: UTF8.self)
}

func withCStrings<R>(
    _ values: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) throws -> R
) rethrows -> R {
    let copies = values.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { try body($0) }
}

#if canImport(Glibc)
import Glibc
#endif

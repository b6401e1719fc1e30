import Testing

@testable import CFNMetrics

@Suite struct ExpositionTests {
    @Test func rendersFamiliesSortedWithHelpTypeAndSamples() throws {
        let registry = Registry()
        let gauge = try registry.gauge("zeta", help: "Last.", labelNames: ["b", "a"])
        try gauge.gauge("2", "x").set(7)
        try gauge.gauge("1", "y").set(-0.5)
        let counter = try registry.counter("alpha_total", help: "First.")
        try counter.counter().add(3)
        #expect(render(registry) == """
            # HELP alpha_total First.
            # TYPE alpha_total counter
            alpha_total 3
            # HELP zeta Last.
            # TYPE zeta gauge
            zeta{b="1",a="y"} -0.5
            zeta{b="2",a="x"} 7

            """)
    }

    @Test func escapesHelpAndLabelValues() throws {
        let registry = Registry()
        let family = try registry.gauge("g", help: "back\\slash \"quote\"\nnext", labelNames: ["v"])
        try family.gauge("a\\b\"c\nd\te").set(1)
        #expect(render(registry) == """
            # HELP g back\\\\slash "quote"\\nnext
            # TYPE g gauge
            g{v="a\\\\b\\"c\\nd\te"} 1

            """)
    }

    @Test func rendersCumulativeHistogramBuckets() throws {
        let registry = Registry()
        let family = try registry.histogram("h_seconds", help: "H.", labelNames: ["s"], buckets: [1, 2.5])
        let histogram = try family.histogram("x")
        for value in [0.5, 2, 2, 9] { try histogram.observe(value) }
        #expect(render(registry) == """
            # HELP h_seconds H.
            # TYPE h_seconds histogram
            h_seconds_bucket{s="x",le="1"} 1
            h_seconds_bucket{s="x",le="2.5"} 3
            h_seconds_bucket{s="x",le="+Inf"} 4
            h_seconds_sum{s="x"} 13.5
            h_seconds_count{s="x"} 4

            """)
    }

    @Test func openMetricsNamesCountersWithoutTotalAndEndsWithEOF() throws {
        let registry = Registry()
        try registry.counter("jobs_total", help: "Jobs.").counter().inc()
        try registry.histogram("h", help: "H.", buckets: [1]).histogram().observe(0.5)
        let text = render(registry, .openMetrics)
        #expect(text.hasPrefix("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 1\n"))
        #expect(text.contains("# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 1\njobs_created "))
        #expect(text.contains("h_created "))
        #expect(text.hasSuffix("# EOF\n"))
    }

    @Test func histogramStaysConsistentWhileObserved() async throws {
        let registry = Registry()
        let histogram = try registry.histogram("h", help: "H.", buckets: [1, 2, 3]).histogram()
        let perTask = 20_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<3 {
                group.addTask {
                    for index in 0..<perTask { try histogram.observe(Double((index + task) % 5)) }
                }
            }
            group.addTask {
                for _ in 0..<200 {
                    let snapshot = histogram.snapshot()
                    #expect(snapshot.buckets.reduce(0, +) == snapshot.count)
                }
            }
            try await group.waitForAll()
        }
        let final = histogram.snapshot()
        #expect(final.count == UInt64(3 * perTask))
        #expect(final.sum == Double(3 * perTask) * 2)
    }
}

@Suite struct ConstantLabelTests {
    @Test func constantLabelsComeFirstOnEverySample() throws {
        let registry = Registry()
        try registry.gauge("plain", help: "P.").gauge().set(1)
        try registry.gauge("g", help: "G.", labelNames: ["a"]).gauge("x").set(2)
        try registry.histogram("h", help: "H.", buckets: [1]).histogram().observe(0.5)
        try registry.setConstantLabels([("env", "prod \"eu\""), ("zone", "b")])
        #expect(render(registry) == """
            # HELP g G.
            # TYPE g gauge
            g{env="prod \\"eu\\"",zone="b",a="x"} 2
            # HELP h H.
            # TYPE h histogram
            h_bucket{env="prod \\"eu\\"",zone="b",le="1"} 1
            h_bucket{env="prod \\"eu\\"",zone="b",le="+Inf"} 1
            h_sum{env="prod \\"eu\\"",zone="b"} 0.5
            h_count{env="prod \\"eu\\"",zone="b"} 1
            # HELP plain P.
            # TYPE plain gauge
            plain{env="prod \\"eu\\"",zone="b"} 1

            """)
        try registry.setConstantLabels([])
        #expect(render(registry).contains("plain 1\n"))
    }

    @Test func constantLabelsMayNotShadowFamilyLabels() throws {
        let registry = Registry()
        _ = try registry.gauge("g", help: "G.", labelNames: ["swarm_id"])
        let error = #expect(throws: MetricsError.self) { try registry.setConstantLabels([("swarm_id", "s")]) }
        #expect(error?.message == "constant label swarm_id is already a label of metric g")
        try registry.setConstantLabels([("env", "prod")])
        let later = #expect(throws: MetricsError.self) { try registry.gauge("k", help: "K.", labelNames: ["env"]) }
        #expect(later?.message == "metric k: label env is already a constant label of the registry")
        #expect(throws: MetricsError.self) { try registry.setConstantLabels([("le", "x")]) }
        #expect(throws: MetricsError.self) { try registry.setConstantLabels([("1bad", "y")]) }
        #expect(registry.constantLabels.map(\.name) == ["env"])
    }
}

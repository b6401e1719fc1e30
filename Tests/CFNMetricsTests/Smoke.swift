import Testing
@testable import CFNMetrics
@Test func smoke() { #expect(formatValue(1) == "1") }

import Testing

@testable import CFNMetrics

@Suite struct ValueFormatTests {
    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (1, "1"), (-3, "-3"), (42, "42"), (9_007_199_254_740_992, "9007199254740992"),
        (0.1, "0.1"), (1.5, "1.5"), (-2.25, "-2.25"), (1e-05, "1e-05"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
    ])
    func formatsValues(value: Double, expected: String) {
        #expect(formatValue(value) == expected, "value \(value)")
    }

    @Test func formatsNaN() {
        #expect(formatValue(.nan) == "NaN")
    }

    @Test func shortestFormReadsBackExactly() {
        for value in [0.1 + 0.2, 1.0 / 3.0, 123_456.789, 1e300, 5e-324, 2.0e53 + 2] {
            #expect(Double(formatValue(value)) == value, "\(value) printed as \(formatValue(value))")
        }
    }

    @Test func integersAbove2To53UseTheShortestForm() {
        #expect(formatValue(1e20) == "1e+20")
    }
}

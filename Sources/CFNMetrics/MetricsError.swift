/// Why a registry call was refused. Every message names the metric, label or value at fault,
/// so it can be shown to a person as it is.
public struct MetricsError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case invalidArgument
        case invalidName
        case invalidLabelValue
        case labelCount
        case invalidValue
        case conflict
        case wrongType
        case notFound
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

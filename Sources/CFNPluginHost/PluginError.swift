/// Why a plugin could not be loaded or started. The message names the plugin and what was wrong.
public struct PluginError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

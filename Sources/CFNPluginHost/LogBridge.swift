import CCFNABI
import CFNLogging

/// What a plugin's log callback needs: which plugin speaks, and where to write.
final class PluginLogContext: Sendable {
    let pluginName: String
    let logger: Logger

    init(pluginName: String, logger: Logger) {
        self.pluginName = pluginName
        self.logger = logger
    }
}

/// The `log` callback handed to plugins. A global function, not a closure, so it carries no actor
/// isolation and may run on whatever thread the plugin calls it from.
func pluginLogCallback(
    _ context: UnsafeMutableRawPointer?, _ level: Int32, _ message: UnsafePointer<CChar>?,
    _ fields: UnsafePointer<CChar>?
) {
    guard let context else { return }
    let log = Unmanaged<PluginLogContext>.fromOpaque(context).takeUnretainedValue()
    let logLevel = Logger.Level(rawValue: Int(level)) ?? .info
    guard log.logger.enabled(logLevel) else { return }
    // String(cString:) repairs invalid UTF-8, so a careless plugin cannot break a log line.
    let text = message.map { String(cString: $0) } ?? ""
    let raw = fields.map { String(cString: $0) }
    log.logger.log(logLevel, text, fields: [("plugin", log.pluginName)], rawFields: raw)
}


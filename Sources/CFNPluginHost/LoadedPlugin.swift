import CCFNABI
import CFNLogging

#if canImport(Glibc)
import Glibc
#endif

/// One plugin: its shared object, its descriptor and the state its init returned.
///
/// `@unchecked Sendable`: the plugin ABI promises that the host never calls one instance from two
/// threads at once; `PluginHost` serialises every call under its lock.
final class LoadedPlugin: @unchecked Sendable {
    let name: String
    let path: String
    private let library: UnsafeMutableRawPointer
    private let descriptor: UnsafePointer<cfn_plugin>
    private var state: UnsafeMutableRawPointer?
    private let logContext: PluginLogContext
    private var host: cfn_plugin_host
    /// The error of the last collection, nil after a success; read and written under the host's lock.
    var lastError: String?

    /// Loads the shared object at `path` and checks its descriptor; does not call init yet.
    init(path: String, logger: Logger) throws(PluginError) {
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginError("cannot load plugin \(path): \(LoadedPlugin.dlerrorText())")
        }
        guard let symbol = dlsym(library, CFN_PLUGIN_ENTRY_SYMBOL) else {
            dlclose(library)
            throw PluginError("plugin \(path) does not export \(CFN_PLUGIN_ENTRY_SYMBOL): not a cfn-metrics plugin")
        }
        let entry = unsafeBitCast(symbol, to: cfn_plugin_entry_fn.self)
        guard let descriptor = entry() else {
            dlclose(library)
            throw PluginError("plugin \(path): \(CFN_PLUGIN_ENTRY_SYMBOL) returned NULL")
        }
        let found = descriptor.pointee
        let name = found.name.map { String(cString: $0) } ?? ""
        guard found.abi_version == UInt32(CFN_PLUGIN_ABI_VERSION) else {
            dlclose(library)
            throw PluginError(
                "plugin \(name.isEmpty ? path : name) (\(path)) has plugin ABI version \(found.abi_version), "
                    + "this host supports version \(CFN_PLUGIN_ABI_VERSION)")
        }
        guard !name.isEmpty, found.`init` != nil, found.collect != nil, found.shutdown != nil else {
            dlclose(library)
            throw PluginError("plugin \(path) is malformed: its descriptor lacks a name, init, collect or shutdown")
        }
        self.name = name
        self.path = path
        self.library = library
        self.descriptor = descriptor
        self.logContext = PluginLogContext(pluginName: name, logger: logger)
        self.host = cfn_plugin_host(
            size: MemoryLayout<cfn_plugin_host>.size,
            context: Unmanaged.passUnretained(logContext).toOpaque(),
            log: pluginLogCallback)
    }

    var version: String {
        descriptor.pointee.version.map { String(cString: $0) } ?? "unknown"
    }

    /// Calls the plugin's init with its options.
    func start(options: [(key: String, value: String)]) throws(PluginError) {
        var error = [CChar](repeating: 0, count: 512)
        var newState: UnsafeMutableRawPointer?
        let keys = options.map { strdup($0.key) }
        let values = options.map { strdup($0.value) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        let items = (0..<options.count).map { cfn_plugin_option(key: keys[$0], value: values[$0]) }
        let status = items.withUnsafeBufferPointer { buffer in
            withUnsafePointer(to: &host) { hostPointer in
                descriptor.pointee.`init`(hostPointer, buffer.baseAddress, buffer.count, &newState, &error, error.count)
            }
        }
        guard status == 0 else {
            let detail = text(of: error)
            throw PluginError("plugin \(name) refused its options: \(detail.isEmpty ? "status \(status)" : detail)")
        }
        state = newState
    }

    /// Runs one collection; returns nil on success or the plugin's error text.
    func collect(registry: OpaquePointer, timeoutMilliseconds: UInt32) -> String? {
        var error = [CChar](repeating: 0, count: 512)
        let status = descriptor.pointee.collect(state, registry, timeoutMilliseconds, &error, error.count)
        guard status != 0 else { return nil }
        let detail = text(of: error)
        return detail.isEmpty ? "collect failed with status \(status)" : detail
    }

    func shutdown() {
        descriptor.pointee.shutdown(state)
        state = nil
        // The library stays loaded: the process is ending, and unloading code that may have left
        // thread-local destructors behind is a classic source of crashes at exit.
    }

    /// The NUL-terminated text a plugin wrote into an error buffer.
    private func text(of buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func dlerrorText() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
    }
}

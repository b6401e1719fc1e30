#if canImport(Glibc)
import Glibc
#endif

/// Turns `--plugin=NAME|PATH` into a file: a path is taken as it is; a bare name such as `redis`
/// becomes `libcfnplugin_redis.so`, looked for next to the running binary (the build folder) and
/// then in the installed plugin folder `<prefix>/lib/cfn-metrics/plugins`.
public enum PluginLocator {
    public static func fileName(for name: String) -> String { "libcfnplugin_\(name).so" }

    public static func searchDirectories() -> [String] {
        guard let binaryDirectory = executableDirectory() else { return [] }
        return [binaryDirectory, binaryDirectory + "/../lib/cfn-metrics/plugins"]
    }

    public static func resolve(_ spec: String) throws(PluginError) -> String {
        if spec.contains("/") || spec.hasSuffix(".so") { return spec }
        guard !spec.isEmpty, spec.utf8.allSatisfy({ isNameByte($0) }) else {
            throw PluginError("plugin name \"\(spec)\" is not valid: use lowercase letters, digits and _, or a path")
        }
        let directories = searchDirectories()
        for directory in directories {
            let candidate = directory + "/" + fileName(for: spec)
            if access(candidate, R_OK) == 0 { return candidate }
        }
        throw PluginError(
            "plugin \(spec): \(fileName(for: spec)) not found in \(directories.joined(separator: ", "))")
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
    }

    private static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}

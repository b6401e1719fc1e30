import CZlib

/// gzip through zlib, and the Accept-Encoding check that decides whether to use it.
public enum Gzip {
    /// The body compressed as a gzip stream, or nil if zlib failed (the caller then sends identity).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // 15 window bits plus 16 selects the gzip wrapper instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Whether an Accept-Encoding header allows gzip: its own q-value if listed, else that of `*`;
    /// a missing q is 1, a malformed one 0.
    public static func accepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var gzipQuality: Double?
        var anyQuality: Double?
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let coding = parts.first else { continue }
            var quality = 1.0
            if let parameter = parts.dropFirst().first(where: { $0.hasPrefix("q=") }) {
                let value = Double(parameter.dropFirst(2)) ?? 0
                quality = value.isFinite && value >= 0 && value <= 1 ? value : 0
            }
            if coding == "gzip" { gzipQuality = quality }
            if coding == "*" { anyQuality = quality }
        }
        return (gzipQuality ?? anyQuality ?? 0) > 0
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

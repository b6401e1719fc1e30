import CMicroHTTPD

#if canImport(Glibc)
import Glibc
#endif

// libmicrohttpd calls these from its own threads, so they are global functions: a closure from an
// isolated context would trap there (see the Swift 6 note in docs/architecture.md).

/// Answers one request: gathers method, path and headers, asks the server's handler, queues the reply.
func accessHandler(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ uploadData: UnsafePointer<CChar>?,
    _ uploadSize: UnsafeMutablePointer<Int>?, _ connectionState: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let context, let connection else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    // Any request body is ignored: swallow it so libmicrohttpd does not wait for us to read it.
    if let uploadSize, uploadSize.pointee > 0 {
        uploadSize.pointee = 0
        return .YES
    }
    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "/",
        headers: requestHeaders(connection))
    let response = server.handler(request)
    return queue(response, on: connection)
}

private func requestHeaders(_ connection: OpaquePointer) -> [String: String] {
    var headers: [String: String] = [:]
    withUnsafeMutablePointer(to: &headers) { pointer in
        _ = MHD_get_connection_values(connection, .HEADER_KIND, collectHeader, pointer)
    }
    return headers
}

private func collectHeader(
    _ context: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let context, let key else { return .YES }
    let headers = context.assumingMemoryBound(to: [String: String].self)
    let name = String(cString: key).lowercased()
    let text = value.map { String(cString: $0) } ?? ""
    // Repeated headers are joined as HTTP allows for list-valued fields.
    if let existing = headers.pointee[name] {
        headers.pointee[name] = existing + ", " + text
    } else {
        headers.pointee[name] = text
    }
    return .YES
}

private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let reply = response.body.withUnsafeBytes { bytes in
        // MHD_RESPMEM_MUST_COPY: libmicrohttpd copies the body, so our array may go away.
        MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                        MHD_ResponseMemoryMode(rawValue: 2)!)
    }
    guard let reply else { return .NO }
    defer { MHD_destroy_response(reply) }
    _ = MHD_add_response_header(reply, "Content-Type", response.contentType)
    for (name, value) in response.headers {
        _ = MHD_add_response_header(reply, name, value)
    }
    return MHD_queue_response(connection, UInt32(response.status), reply)
}

/// libmicrohttpd's own messages (a client's malformed request, a full connection table), routed
/// through our logger at debug level: any client can cause them, so they must not flood the log
/// or break its format.
func libraryLogCallback(_ context: UnsafeMutableRawPointer?, _ text: UnsafePointer<CChar>?) {
    guard let context, let text else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    guard server.logger.enabled(.debug) else { return }
    server.logger.debug("libmicrohttpd", ["message": String(cString: text).trimmingSpaces().replacingNewlines()])
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

import CFNLogging
import CFNHTTPShim
import CMicroHTTPD

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP server on libmicrohttpd: it binds the socket itself (so "address in use" is reported
/// as such and port 0 reveals the port it got), then lets libmicrohttpd's thread pool serve it.
///
/// `@unchecked Sendable`: `daemon` and `socket` change only in start and stop, which callers
/// do not run concurrently; the handler is immutable.
public final class HTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public struct Limits: Sendable {
        public var threads: UInt32 = 4
        /// An idle connection is closed after this long.
        public var connectionTimeoutSeconds: UInt32 = 10
        /// Connections per thread: libmicrohttpd splits its connection limit across the thread
        /// pool, so the limit grows with the pool rather than leaving some threads with none.
        public var connectionsPerThread: UInt32 = 64

        public init() {}
    }

    let handler: Handler
    let logger: Logger
    private let limits: Limits
    private var daemon: OpaquePointer?
    private var socket: Int32 = -1

    public init(limits: Limits = Limits(), logger: Logger, handler: @escaping Handler) {
        self.limits = limits
        self.logger = logger
        self.handler = handler
    }

    /// Binds, listens and starts serving; returns the bound address as `host:port`.
    public func start(_ address: ListenAddress) throws(HTTPError) -> String {
        let (fd, family) = try bind(address)
        socket = fd
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_ERROR_LOG.rawValue
        if family == AF_INET6 { flags |= MHD_USE_IPv6.rawValue }
        let context = Unmanaged.passUnretained(self).toOpaque()
        cfn_http_set_log_sink(libraryLogCallback)
        // The logger goes first, so that libmicrohttpd prints nothing of its own.
        let options: [CVarArg] = [
            MHD_OPTION.EXTERNAL_LOGGER.rawValue, OpaquePointer(cfn_http_format_log_pointer()), OpaquePointer(context),
            MHD_OPTION.LISTEN_SOCKET.rawValue, fd,
            MHD_OPTION.THREAD_POOL_SIZE.rawValue, limits.threads,
            MHD_OPTION.CONNECTION_TIMEOUT.rawValue, limits.connectionTimeoutSeconds,
            MHD_OPTION.CONNECTION_LIMIT.rawValue, limits.threads * limits.connectionsPerThread,
            MHD_OPTION.END.rawValue,
        ]
        daemon = withVaList(options) { arguments in
            MHD_start_daemon_va(flags, 0, nil, nil, accessHandler, context, arguments)
        }
        guard daemon != nil else {
            close(fd)
            socket = -1
            throw HTTPError(
                kind: .startFailed, message: "libmicrohttpd could not start on \(address.host):\(address.port)")
        }
        return boundAddress(fd: fd, family: family)
    }

    /// Stops accepting, finishes the requests in flight, and closes the socket.
    public func stop() {
        if let daemon {
            MHD_stop_daemon(daemon)
            self.daemon = nil
        }
        if socket >= 0 {
            close(socket)
            socket = -1
        }
    }

    private func bind(_ address: ListenAddress) throws(HTTPError) -> (Int32, Int32) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &results)
        guard status == 0, let first = results else {
            throw HTTPError(
                kind: .invalidAddress,
                message: "listen address \(address.host):\(address.port): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(results) }
        let fd = Glibc.socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw HTTPError(kind: .listenFailed, message: "cannot create a socket: \(String(cString: strerror(errno)))")
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 || listen(fd, 128) != 0 {
            let code = errno
            close(fd)
            let shown = "\(address.host):\(address.port)"
            if code == EADDRINUSE {
                throw HTTPError(kind: .addressInUse, message: "listen address \(shown) is already in use")
            }
            throw HTTPError(
                kind: .listenFailed, message: "cannot listen on \(shown): \(String(cString: strerror(code)))")
        }
        return (fd, first.pointee.ai_family)
    }

    private func boundAddress(fd: Int32, family: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var port = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                getsockname(fd, address, &length)
                return getnameinfo(address, length, &host, socklen_t(host.count), &port, socklen_t(port.count),
                                   NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let portText = String(decoding: port.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(hostText)]:\(portText)" : "\(hostText):\(portText)"
    }
}

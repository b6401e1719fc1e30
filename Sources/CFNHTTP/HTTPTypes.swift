/// A request as handlers see it: method, path without query, and header lookup.
public struct HTTPRequest: Sendable {
    public let method: String
    public let path: String
    public let headers: [String: String]

    public init(method: String, path: String, headers: [String: String]) {
        self.method = method
        self.path = path
        self.headers = headers
    }

    /// A request header, matched without regard to case.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

public struct HTTPResponse: Sendable {
    public var status: UInt32
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(status: UInt32, contentType: String = "text/plain; charset=utf-8", body: [UInt8],
                headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func text(_ status: UInt32, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }
}

public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case invalidAddress, addressInUse, listenFailed, startFailed }
    public let kind: Kind
    public let message: String

    public var description: String { message }
}

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all addresses), as given to --web.listen-address.
public struct ListenAddress: Sendable, Equatable {
    public let host: String
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(HTTPError) {
        let invalid = HTTPError(
            kind: .invalidAddress, message: "listen address \"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:3000)")
        var hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { throw invalid }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { throw invalid }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portPart), !portPart.hasPrefix("+") else { throw invalid }
        if hostPart.isEmpty { hostPart = "0.0.0.0" }
        self.host = String(hostPart)
        self.port = port
    }
}

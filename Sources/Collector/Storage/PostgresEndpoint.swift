import Foundation
import NIOCore
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL server is and how to log in, from a libpq-style connection URI
/// (PostgreSQL 15 manual, 34.1.1 "Connection Strings", 34.1.2 "Parameter Key Words"):
///
///     postgres[ql]://USER[:PASSWORD]@HOST[:PORT][/DATABASE][?PARAM=VALUE&...]
///
/// USER and PASSWORD are percent-decoded (a `@` in a password is `%40`); PORT defaults to 5432
/// and DATABASE to USER, as libpq does. Parameters taken:
///
/// | parameter | values | default |
/// |---|---|---|
/// | `sslmode` | `disable`, `prefer`, `require` | `prefer` |
/// | `connect_timeout` | seconds (a whole number > 0) | 10 |
/// | `host` | a directory: connect to its Unix socket `.s.PGSQL.PORT` instead of TCP | |
///
/// Unlike libpq, `prefer` and `require` verify the server's certificate and name against the
/// system trust store (libpq's `verify-full`): a connection that may fall back to plain text is
/// `prefer`, and none is made to a server whose certificate does not verify.
public struct PostgresEndpoint: Sendable {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// The TCP host, or nil when ``unixSocketPath`` is set.
    public var host: String?
    public var port: Int
    public var unixSocketPath: String?
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    /// For the TCP connect and the login, each time a connection is opened.
    public var connectTimeout: Duration

    public init(url text: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw PostgresURLError(url: text, problem: "not a URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresURLError(url: text, problem: "scheme \(scheme): only postgres:// or postgresql://")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresURLError(url: text, problem: "no user (postgres://USER@HOST/DATABASE)")
        }
        username = user
        password = components.password
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresURLError(url: text, problem: "port \(port) out of range") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else {
            throw PostgresURLError(url: text, problem: "path /\(path): only a database name after the host")
        }
        database = path.removingPercentEncoding ?? path
        if database.isEmpty { database = user }
        tlsMode = .prefer
        connectTimeout = .seconds(10)
        var socketDirectory: String?
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw PostgresURLError(url: text, problem: "sslmode=\(value): one of disable, prefer, require")
                }
                tlsMode = mode
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw PostgresURLError(url: text, problem: "connect_timeout=\(value): whole seconds, more than 0")
                }
                connectTimeout = .seconds(seconds)
            case "host":
                guard value.hasPrefix("/") else {
                    throw PostgresURLError(url: text, problem: "host=\(value): a socket directory (an absolute path)")
                }
                socketDirectory = value
            default:
                throw PostgresURLError(url: text, problem: "parameter \(item.name): not one of sslmode, connect_timeout, host")
            }
        }
        if let socketDirectory {
            host = nil
            unixSocketPath = "\(socketDirectory)/.s.PGSQL.\(port)"
        } else {
            // URLComponents keeps the brackets of an IPv6 literal ([::1]).
            var name = components.host ?? ""
            if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
            guard !name.isEmpty else { throw PostgresURLError(url: text, problem: "no host") }
            host = name
            unixSocketPath = nil
        }
    }

    /// The URL without its password: for logs and messages.
    public var redacted: String {
        let place = unixSocketPath ?? "\(host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? ""):\(port)"
        return "postgres://\(username)@\(place)/\(database)"
    }

    /// The pool's configuration (``PostgresCollectorStorage/client``).
    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let unixSocketPath {
            configuration = .init(unixSocketPath: unixSocketPath, username: username, password: password,
                                  database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
            configuration = .init(host: host ?? "", port: port, username: username, password: password,
                                  database: database, tls: tls)
        }
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// One connection of its own, as the schema migration opens before the pool runs.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let unixSocketPath {
            configuration = .init(unixSocketPath: unixSocketPath, username: username, password: password,
                                  database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: host ?? "", port: port, username: username, password: password,
                                  database: database, tls: tls)
        }
        let (seconds, attoseconds) = connectTimeout.components
        configuration.options.connectTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return configuration
    }
}

/// A `--postgres` URL that ``PostgresEndpoint/init(url:)`` cannot use, and why. The URL in the
/// message has its password removed.
public struct PostgresURLError: Error, CustomStringConvertible {
    public var url: String
    public var problem: String

    init(url: String, problem: String) {
        // Drop what lies between "://" and "@" after the first ":" (the password).
        var shown = url
        if let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@"),
           let colon = url[scheme.upperBound..<at].firstIndex(of: ":") {
            shown.replaceSubrange(colon..<at, with: ":***")
        }
        self.url = shown
        self.problem = problem
    }

    public var description: String { "\(url): \(problem)" }
}

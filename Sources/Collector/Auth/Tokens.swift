import Crypto
import Yams

/// What a bearer token may do (issue 13): a gateway uploads, a reader queries; neither does
/// the other's work.
public enum CollectorRole: String, Sendable, Codable {
    case gateway
    case reader
}

/// Who is calling: the tenant every query is scoped to and the token's role.
public struct Caller: Sendable, Equatable {
    public var tenant: String
    public var role: CollectorRole

    public init(tenant: String, role: CollectorRole) {
        self.tenant = tenant
        self.role = role
    }
}

/// Why a tokens file was refused.
public enum TokensFileError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case entry(index: Int, reason: String)

    public var description: String {
        switch self {
        case .malformed(let reason): "tokens file: \(reason)"
        case .entry(let index, let reason): "tokens file: token \(index + 1): \(reason)"
        }
    }
}

/// The collector's bearer tokens, as SHA-256 digests only.
///
/// The tokens file (YAML):
///
/// ```yaml
/// tokens:
///   - {token: "s3cret-gateway-token", tenant: clinic-a, role: gateway}
///   - {token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", tenant: clinic-a, role: reader}
/// ```
///
/// `token_hash` is the lowercase hex SHA-256 of the token's UTF-8 bytes
/// (`printf %s TOKEN | sha256sum`), so a file at rest need hold no secret. A presented token
/// is hashed and looked up by digest: the lookup compares digests, never the secret itself,
/// so its timing says nothing about the token's bytes.
public struct TokenRegistry: Sendable {
    private var callers: [String: Caller] = [:]

    public init() {}

    /// Adds a token given in clear.
    public mutating func add(token: String, caller: Caller) {
        callers[Self.digest(token)] = caller
    }

    /// Adds a token by its SHA-256 hex digest.
    public mutating func add(tokenHash: String, caller: Caller) throws(TokensFileError) {
        let hash = tokenHash.lowercased()
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw .malformed("token_hash must be 64 hex digits (SHA-256)")
        }
        callers[hash] = caller
    }

    /// The caller a presented token belongs to, or nil.
    public func caller(presenting token: String) -> Caller? { callers[Self.digest(token)] }

    public var count: Int { callers.count }

    /// Lowercase hex SHA-256 of the token's UTF-8 bytes.
    public static func digest(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private struct File: Decodable {
        struct Entry: Decodable {
            var token: String?
            var token_hash: String?
            var tenant: String?
            var role: String?
        }

        var tokens: [Entry]
    }

    /// Parses a tokens file's text.
    public init(yaml: String) throws(TokensFileError) {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: yaml)
        } catch {
            throw .malformed("expected `tokens: [{token | token_hash, tenant, role}]`: \(error)")
        }
        for (index, entry) in file.tokens.enumerated() {
            guard let tenant = entry.tenant, !tenant.isEmpty else { throw .entry(index: index, reason: "no tenant") }
            guard let roleName = entry.role, let role = CollectorRole(rawValue: roleName) else {
                throw .entry(index: index, reason: "role must be gateway or reader")
            }
            let caller = Caller(tenant: tenant, role: role)
            switch (entry.token, entry.token_hash) {
            case (let token?, nil):
                guard !token.isEmpty else { throw .entry(index: index, reason: "empty token") }
                add(token: token, caller: caller)
            case (nil, let hash?):
                do { try add(tokenHash: hash, caller: caller) } catch { throw .entry(index: index, reason: "token_hash must be 64 hex digits (SHA-256)") }
            default:
                throw .entry(index: index, reason: "give exactly one of token and token_hash")
            }
        }
    }
}

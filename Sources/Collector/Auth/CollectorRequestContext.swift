import Foundation
import Hummingbird

/// The request context of every collector route: Hummingbird's core storage, plus the caller
/// that ``BearerAuthentication`` found for the request's token.
public struct CollectorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``BearerAuthentication``; nil only on the public routes (`/healthz`,
    /// `/openapi.yaml`, `/metrics`).
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Ingest bodies are up to ``CollectorConfiguration/maximumBodyBytes``; the JSON routes
    /// take no body at all.
    public var maxUploadSize: Int { CollectorConfiguration.maximumBodyBytes }

    /// The caller, which the middleware guarantees on authenticated routes.
    func requireCaller() throws -> Caller {
        guard let caller else { throw HTTPError(.unauthorized, message: "missing bearer token") }
        return caller
    }
}

/// `Authorization: Bearer TOKEN` (RFC 6750 section 2.1) -> ``Caller``: a missing, malformed or
/// unknown token is 401 with `WWW-Authenticate: Bearer`, a known token of another role 403.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = CollectorRequestContext
    let tokens: TokenRegistry
    let role: CollectorRole

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("missing bearer token")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized("Authorization must be `Bearer TOKEN`")
        }
        guard let caller = tokens.caller(presenting: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw Self.unauthorized("unknown token", error: "invalid_token")
        }
        guard caller.role == role else {
            throw HTTPError(.forbidden, message: "this route needs a \(role.rawValue) token, not a \(caller.role.rawValue) token")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }

    static func unauthorized(_ message: String, error: String? = nil) -> HTTPError {
        var challenge = "Bearer realm=\"gaitway\""
        if let error { challenge += ", error=\"\(error)\"" }
        return HTTPError(.unauthorized, headers: [.wwwAuthenticate: challenge], message: message)
    }
}

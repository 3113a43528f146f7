import Admin
import Control
import Crypto
import HTTPEdge
import Store
import Wire

/// The control plane's HTTPS API under `/v1`. Bodies are strict JSON (`JSONBody`); every
/// route but login and invitation acceptance needs `Authorization: Bearer <session token>`.
/// Ids in paths are looked up inside the caller's tenant, so another tenant's object
/// answers 404 exactly like one that does not exist.
///
/// Thread use: handlers run on the HTTP server's threads, concurrently; the control plane
/// serializes writes.
public final class ControlRoutes: @unchecked Sendable {
    let control: ControlPlane
    /// Lifetime of join tokens issued through the API, in seconds.
    let joinTokenTTLSeconds: Int
    /// The current Unix time in ms.
    let clock: @Sendable () -> Int64

    public init(
        control: ControlPlane, joinTokenTTLSeconds: Int = 300,
        clock: @escaping @Sendable () -> Int64 = { ControlPlane.wallClockMilliseconds() }
    ) {
        self.control = control
        self.joinTokenTTLSeconds = joinTokenTTLSeconds
        self.clock = clock
    }

    /// Adds every `/v1` route to `router`.
    public func register(on router: inout Router) {
        router.add("POST", "/v1/login", open(login))
        router.add("POST", "/v1/logout", open(logout))
        router.add("POST", "/v1/invitations/accept", open(acceptInvitation))
        router.add("GET", "/v1/me", signedIn(me))
        router.add("GET", "/v1/audit", signedIn(audit))
        registerChannelRoutes(on: &router)
        registerMemberRoutes(on: &router)
        registerMFARoutes(on: &router)
    }

    // MARK: - Handler wrappers

    typealias OpenHandler = (HTTPRequest, [String: String]) throws -> HTTPResponse
    typealias CallerHandler = (Caller, HTTPRequest, [String: String]) throws -> HTTPResponse

    /// A route anyone may call; errors become 4xx/5xx responses.
    func open(_ handler: @escaping OpenHandler) -> Router.Handler {
        { request, params in
            do {
                return try handler(request, params)
            } catch {
                return APIResponse.failure(error, request)
            }
        }
    }

    /// A route for a signed-in member: the session is checked before the handler runs.
    func signedIn(_ handler: @escaping CallerHandler) -> Router.Handler {
        open { [unowned self] request, params in
            try handler(try caller(request), request, params)
        }
    }

    /// The caller the request's session token stands for, or 401.
    func caller(_ request: HTTPRequest) throws -> Caller {
        guard let token = Self.bearerToken(request) else {
            throw APIError(
                401, "missing Authorization: Bearer <session token>",
                headers: [("WWW-Authenticate", "Bearer")])
        }
        return try control.authenticate(
            session: token, now: clock(), ip: request.clientAddress,
            requestID: request.requestID)
    }

    static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let value = request.header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    // MARK: - Sessions

    func login(_ request: HTTPRequest, _: [String: String]) throws -> HTTPResponse {
        let body = try JSONBody(request, allowed: ["tenant", "handle", "password"])
        let password = Secret(try body.string("password"))
        let outcome = try control.beginLogin(
            tenant: try body.string("tenant"), handle: try body.string("handle"),
            password: password, ip: request.clientAddress, now: clock(),
            requestID: request.requestID)
        switch outcome {
        case .signedIn(let result):
            return Self.sessionResponse(result)
        case .secondFactorRequired(let challenge, let expiresAtMs):
            return APIResponse.json(200, [
                "mfa_required": .bool(true), "challenge": .string(challenge.reveal),
                "expires_at_ms": .int(expiresAtMs),
            ])
        }
    }

    /// A new session: the token (shown once) and whether MFA enrolment must come first.
    static func sessionResponse(_ result: LoginResult) -> HTTPResponse {
        APIResponse.json(200, [
            "token": .string(result.token.reveal), "expires_at_ms": .int(result.expiresAtMs),
            "tenant_id": .int(result.tenant.rawValue), "member_id": .int(result.member.rawValue),
            "role": .string(result.role.rawValue),
            "mfa_enrollment_required": .bool(result.mustEnrolMFA),
        ])
    }

    func logout(_ request: HTTPRequest, _: [String: String]) throws -> HTTPResponse {
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        guard let token = Self.bearerToken(request) else {
            throw APIError(
                401, "missing Authorization: Bearer <session token>",
                headers: [("WWW-Authenticate", "Bearer")])
        }
        try control.logout(
            session: token, now: clock(), ip: request.clientAddress,
            requestID: request.requestID)
        return APIResponse.noContent
    }

    func acceptInvitation(_ request: HTTPRequest, _: [String: String]) throws -> HTTPResponse {
        let body = try JSONBody(request, allowed: ["token", "password"])
        let token = try body.string("token")
        let password = Secret(try body.string("password"))
        let member = try control.acceptInvitation(token, password: password, now: clock())
        return APIResponse.json(200, ["member": Self.json(member, channels: [])])
    }

    func me(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let permissions = caller.role.permissions.map(\.rawValue).sorted()
        return APIResponse.json(200, [
            "tenant_id": .int(caller.tenant.rawValue), "member_id": .int(caller.member.rawValue),
            "handle": .string(caller.handle), "role": .string(caller.role.rawValue),
            "permissions": .array(permissions.map(JSONValue.string)),
        ])
    }

    /// `GET /v1/audit?after=SEQ`: the caller's tenant's audit events after `SEQ`.
    func audit(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        var after: Int64 = 0
        if let text = request.query["after"] {
            guard let value = Int64(text), value >= 0 else {
                throw APIError(400, "after must be a non-negative integer")
            }
            after = value
        }
        let events = try control.auditEvents(caller, afterSeq: after).map { record in
            JSONValue.object([
                "seq": .int(record.seq), "actor": .string(record.entry.actor),
                "action": .string(record.entry.action), "target": .string(record.entry.target),
                "at_ms": .int(record.entry.atMs),
                "ip": record.entry.ip.map(JSONValue.string) ?? .null,
            ])
        }
        return APIResponse.json(200, ["events": .array(events)])
    }
}

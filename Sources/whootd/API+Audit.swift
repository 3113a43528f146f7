import Admin
import Control
import ControlAPI
import Foundation
import HTTPEdge
import Store
import Wire

/// The HTTPS API of the audit log and access reviews, for signed-in members with a
/// session token (`Authorization: Bearer wst_...`). Admins, owners and auditors read and
/// export; admins and owners run reviews.
///
/// An export answers one chunk of at most `AuditAPI.chunkEntries` rows; when more follow,
/// the `X-Whoot-Export-Continue` header names the export, and
/// `GET /v1/audit/export?continue=<id>` returns the next chunk (without a header row).
/// The chunks, concatenated, are the export.
enum AuditAPI {
    static let chunkEntries = 20_000

    static func register(_ router: inout Router, control: ControlPlane) {
        router.add("GET", "/v1/audit/export") { request, _ in
            withCaller(control, request) { caller in
                try caller.require(.readAudit)
                let query = request.query
                let filter = try AuditFilter.parse(
                    from: query["from"], to: query["to"], actions: query["action"],
                    actor: query["actor"])
                let chunk = try control.auditExportChunk(
                    tenant: caller.tenant, filter: filter, actor: caller.actor,
                    continuing: query["continue"], maxEntries: chunkEntries)
                var headers = [("Content-Type", "text/csv; charset=utf-8; header=present")]
                if let next = chunk.next { headers.append(("X-Whoot-Export-Continue", next)) }
                return HTTPResponse(status: 200, headers: headers, body: chunk.csv)
            }
        }
        router.add("GET", "/v1/audit/verify") { request, _ in
            withCaller(control, request) { caller in
                try caller.require(.readAudit)
                return json(AdminServer.json(try control.verifyAudit(tenant: caller.tenant)))
            }
        }
        router.add("GET", "/v1/audit/public-key") { request, _ in
            withCaller(control, request) { caller in
                try caller.require(.readAudit)
                guard let key = control.auditSettings.publicKey else {
                    throw ControlError.conflict("no audit signing key is configured")
                }
                return HTTPResponse(
                    status: 200, headers: [("Content-Type", "application/x-pem-file")],
                    body: Array(key.pem.utf8))
            }
        }
        registerReviews(&router, control: control)
    }

    static func registerReviews(_ router: inout Router, control: ControlPlane) {
        router.add("POST", "/v1/reviews") { request, _ in
            withCaller(control, request) { caller in
                _ = try JSONBody(request, allowed: [], allowEmpty: true)
                return json(AdminServer.json(try control.startAccessReview(caller)), status: 201)
            }
        }
        router.add("GET", "/v1/reviews/:id") { request, params in
            withCaller(control, request) { caller in
                json(AdminServer.json(try control.accessReview(caller, id: try id(params))))
            }
        }
        router.add("POST", "/v1/reviews/:id/decisions") { request, params in
            withCaller(control, request) { caller in
                let body = try JSONBody(
                    request, allowed: ["member", "decision", "role", "channels", "comment"])
                let member = try memberID(
                    body.fields["member"], caller: caller, control: control)
                let decision = try AdminServer.decision(
                    try body.string("decision"), role: try body.optionalString("role"),
                    channels: try channelList(body.fields["channels"]))
                let item = try control.decideAccessReview(
                    caller, review: try id(params), member: member, decision: decision,
                    comment: try body.optionalString("comment") ?? "")
                return json(AdminServer.json(item))
            }
        }
        router.add("POST", "/v1/reviews/:id/complete") { request, params in
            withCaller(control, request) { caller in
                _ = try JSONBody(request, allowed: [], allowEmpty: true)
                return json(AdminServer.json(
                    try control.completeAccessReview(caller, review: try id(params))))
            }
        }
        router.add("GET", "/v1/reviews/:id/report") { request, params in
            withCaller(control, request) { caller in
                HTTPResponse(
                    status: 200, headers: [("Content-Type", "text/csv; charset=utf-8")],
                    body: try control.accessReviewReport(caller, review: try id(params)))
            }
        }
    }

    /// Authenticates the session token and runs `body`; maps errors to JSON answers.
    static func withCaller(
        _ control: ControlPlane, _ request: HTTPRequest,
        _ body: (Caller) throws -> HTTPResponse
    ) -> HTTPResponse {
        do {
            guard let token = bearer(request) else {
                return .error(401, "missing Authorization: Bearer <session token>")
            }
            let caller = try control.authenticate(
                session: token, now: ControlPlane.wallClockMilliseconds(),
                ip: request.clientAddress, requestID: request.requestID)
            return try body(caller)
        } catch let error as ControlError {
            return .error(error.status, error.description)
        } catch let error as AdminError {
            return .error(400, error.description)
        } catch let error as APIError {
            return .error(error.status, error.message)
        } catch {
            return .error(500, "internal error")
        }
    }

    static func bearer(_ request: HTTPRequest) -> String? {
        guard let value = request.header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        .json(status, rawJSON: value.description)
    }

    static func id(_ params: [String: String]) throws -> Int64 {
        guard let text = params["id"], let id = Int64(text) else {
            throw ControlError.badRequest("review id must be an integer")
        }
        return id
    }

    /// A member given by id (number) or handle (string).
    static func memberID(_ value: JSONValue?, caller: Caller, control: ControlPlane) throws
        -> MemberID
    {
        switch value {
        case .int(let id)?: return MemberID(id)
        case .string(let handle)?:
            return try control.memberID(tenant: caller.tenant, handle: handle)
        default: throw ControlError.badRequest("\"member\" must be a member id or handle")
        }
    }

    /// Channel names from a JSON array of strings or a ";"-separated string; nil if absent.
    static func channelList(_ value: JSONValue?) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .array(let items)?:
            let names = items.compactMap(\.stringValue)
            guard names.count == items.count else { break }
            return names.joined(separator: ";")
        default: break
        }
        throw ControlError.badRequest("\"channels\" must be an array of channel names")
    }
}

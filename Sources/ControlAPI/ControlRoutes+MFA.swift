import Admin
import Control
import Crypto
import HTTPEdge
import Store
import Wire

/// MFA: the second login step, the caller's enrolment, the tenant policy and resets.
/// Enrolment and confirmation are open to a member whom an enforcing tenant holds back
/// (`Caller.mustEnrolMFA`); every other route refuses them through `Caller.require`.
extension ControlRoutes {
    func registerMFARoutes(on router: inout Router) {
        router.add("POST", "/v1/login/mfa", open(loginSecondFactor))
        router.add("GET", "/v1/mfa", signedIn(mfaStatus))
        router.add("POST", "/v1/mfa/enroll", signedIn(enrolMFA))
        router.add("POST", "/v1/mfa/confirm", signedIn(confirmMFA))
        router.add("PUT", "/v1/mfa/policy", signedIn(setMFAPolicy))
        router.add("DELETE", "/v1/members/:member/mfa", signedIn(resetMFA))
    }

    /// `{challenge, code}` or `{challenge, recovery_code}`: the session, as `/v1/login`.
    func loginSecondFactor(_ request: HTTPRequest, _: [String: String]) throws -> HTTPResponse {
        let body = try JSONBody(request, allowed: ["challenge", "code", "recovery_code"])
        let result = try control.completeLogin(
            challenge: try body.string("challenge"),
            code: try body.optionalString("code").map(Secret.init),
            recoveryCode: try body.optionalString("recovery_code").map(Secret.init),
            ip: request.clientAddress, now: clock(), requestID: request.requestID)
        return Self.sessionResponse(result)
    }

    func mfaStatus(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let status = try control.mfaStatus(tenant: caller.tenant, member: caller.member)
        return APIResponse.json(200, [
            "policy": .string(status.policy.rawValue), "enrolled": .bool(status.enrolled),
            "pending": .bool(status.pending),
            "recovery_codes_left": .int(Int64(status.recoveryCodesLeft)),
            "enrollment_required": .bool(caller.mustEnrolMFA),
        ])
    }

    /// `{algorithm?}` (SHA1, the default every app reads, SHA256 or SHA512): the
    /// otpauth:// URI and its QR code as SVG. Shown this once; never again.
    func enrolMFA(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let body = try JSONBody(request, allowed: ["algorithm"], allowEmpty: true)
        let name = try body.optionalString("algorithm") ?? TOTP.Algorithm.sha1.rawValue
        guard let algorithm = TOTP.Algorithm(rawValue: name.uppercased()) else {
            throw APIError(400, "algorithm must be SHA1, SHA256 or SHA512")
        }
        let enrolment = try control.enrolMFA(caller, algorithm: algorithm, now: clock())
        var response = APIResponse.json(200, [
            "uri": .string(enrolment.uri.reveal), "qr_svg": .string(enrolment.qrCode.svg()),
            "algorithm": .string(enrolment.algorithm.rawValue),
            "digits": .int(Int64(enrolment.digits)), "period": .int(enrolment.periodSeconds),
        ])
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    /// `{code}`: turns the pending enrolment on; answers the ten recovery codes, once.
    func confirmMFA(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let body = try JSONBody(request, allowed: ["code"])
        let codes = try control.confirmMFA(
            caller, code: Secret(try body.string("code")), now: clock())
        var response = APIResponse.json(200, [
            "enrolled": .bool(true),
            "recovery_codes": .array(codes.map { .string($0.reveal) }),
        ])
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    /// `{policy}`: disabled, optional or enforced (owners and admins).
    func setMFAPolicy(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let body = try JSONBody(request, allowed: ["policy"])
        guard let policy = MFAPolicy(rawValue: try body.string("policy")) else {
            throw APIError(400, "policy must be disabled, optional or enforced")
        }
        let changed = try control.setMFAPolicy(caller, policy, now: clock())
        return APIResponse.json(200, [
            "policy": .string(policy.rawValue), "changed": .bool(changed),
        ])
    }

    /// Deletes a member's enrolment and recovery codes (owners and admins).
    func resetMFA(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String]) throws
        -> HTTPResponse
    {
        let member = try Self.memberID(params)
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        let changed = try control.resetMFA(caller, member: member, now: clock())
        return APIResponse.json(200, ["changed": .bool(changed)])
    }
}

import Control
import Crypto
import Store
import Wire

/// MFA commands for local administrators: the tenant policy, a member's status, an
/// enrolment made for a member, and a reset.
///
/// `mfa.enroll` hands the otpauth:// URI (it holds the secret) to the local administrator,
/// for bootstrapping a member in person. This widens nobody's reach: whoever may use the
/// admin socket can already read keys/ and the database. The enrolment stays pending, and
/// MFA is not on, until the member confirms a code from their own app at
/// `POST /v1/mfa/confirm`, which also gives the recovery codes to the member alone.
extension AdminServer {
    func registerMFACommands() {
        register("mfa.policy") { [unowned self] request in
            try request.allowOnly(["tenant", "policy"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            guard let policy = MFAPolicy(rawValue: try request.string("policy")) else {
                throw AdminError.badRequest("policy must be disabled, optional or enforced")
            }
            let changed = try control.setMFAPolicy(
                tenant: tenant, policy, actor: request.actor,
                now: ControlPlane.wallClockMilliseconds())
            return ["policy": .string(policy.rawValue), "changed": .bool(changed)]
        }
        register("mfa.status") { [unowned self] request in
            try request.allowOnly(["tenant", "member"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let status = try control.mfaStatus(tenant: tenant, member: member)
            return [
                "policy": .string(status.policy.rawValue), "enrolled": .bool(status.enrolled),
                "pending": .bool(status.pending),
                "recovery_codes_left": .int(Int64(status.recoveryCodesLeft)),
            ]
        }
        register("mfa.enroll") { [unowned self] request in
            try request.allowOnly(["tenant", "member", "algorithm"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let name = try request.optionalString("algorithm") ?? "SHA1"
            guard let algorithm = TOTP.Algorithm(rawValue: name.uppercased()) else {
                throw AdminError.badRequest("algorithm must be SHA1, SHA256 or SHA512")
            }
            let enrolment = try control.enrolMFA(
                tenant: tenant, member: member, algorithm: algorithm, actor: request.actor,
                now: ControlPlane.wallClockMilliseconds())
            return [
                "uri": .string(enrolment.uri.reveal),
                "qr_terminal": .string(enrolment.qrCode.terminalText()),
            ]
        }
        register("mfa.reset") { [unowned self] request in
            try request.allowOnly(["tenant", "member"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let changed = try control.resetMFA(
                tenant: tenant, member: member, actor: request.actor,
                now: ControlPlane.wallClockMilliseconds())
            return ["member": .string(try request.string("member")), "changed": .bool(changed)]
        }
    }
}

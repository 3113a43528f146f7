import Admin
import Relay

/// Admin socket commands that need the media plane, beside the control plane's own.
enum AdminCommands {
    static func register(on admin: AdminServer, relay: Relay) {
        admin.register("session.list") { request in
            try request.allowOnly([])
            let sessions = relay.sessions().sorted { $0.id.rawValue < $1.id.rawValue }
            return .array(sessions.map { plan in
                [
                    "id": .string(plan.id.rawValue), "tenant_id": .int(plan.tenant.rawValue),
                    "channel_id": .int(plan.channel.rawValue),
                    "member_id": .int(plan.member.rawValue),
                ]
            })
        }
    }
}

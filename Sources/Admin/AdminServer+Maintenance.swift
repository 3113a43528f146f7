import Control
import Crypto
import Store
import Wire

/// Admin commands for renaming and deleting channels, setting a member's password and
/// issuing an invitation token. A password arrives in the request line on the socket,
/// never on a command line, and is never echoed back or logged.
extension AdminServer {
    func registerMaintenanceCommands() {
        register("channel.rename") { [unowned self] request in
            try request.allowOnly(["tenant", "channel", "name"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let channel = try control.channelID(tenant: tenant, name: request.string("channel"))
            try control.renameChannel(
                tenant: tenant, channel: channel, to: request.string("name"),
                actor: request.actor)
            return ["id": .int(channel.rawValue), "name": .string(try request.string("name"))]
        }
        register("channel.delete") { [unowned self] request in
            try request.allowOnly(["tenant", "channel"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let channel = try control.channelID(tenant: tenant, name: request.string("channel"))
            try control.deleteChannel(tenant: tenant, channel: channel, actor: request.actor)
            return ["id": .int(channel.rawValue), "deleted": .bool(true)]
        }
        register("member.password") { [unowned self] request in
            try request.allowOnly(["tenant", "member", "password"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            try control.setPassword(
                tenant: tenant, member: member, password: Secret(request.string("password")),
                actor: request.actor)
            return ["member": .string(try request.string("member")), "changed": .bool(true)]
        }
        register("member.invitation") { [unowned self] request in
            try request.allowOnly(["tenant", "member"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let token = try control.issueInvitation(
                tenant: tenant, member: member, now: ControlPlane.wallClockMilliseconds(),
                actor: request.actor)
            return ["token": .string(token.reveal)]
        }
    }
}

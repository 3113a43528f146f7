/// whootctl's command table and help text.
struct CommandSpec {
    let noun: String
    let verb: String?
    /// The admin protocol command it sends.
    let command: String
    let summary: String
    let required: [String]
    let optional: [String]
    /// Flags sent as integers rather than strings.
    var integers: Set<String> = []
    /// An argument read from standard input (one line) rather than from a flag, for
    /// secrets that must not appear in the process list or shell history.
    var fromStdin: String? = nil
    /// An argument given as a word after the verb (`mfa policy --tenant T enforced`).
    var positional: String? = nil
}

enum Usage {
    static let commands: [CommandSpec] = [
        CommandSpec(noun: "tenant", verb: "create", command: "tenant.create",
                    summary: "create a tenant", required: ["slug"], optional: ["name"]),
        CommandSpec(noun: "tenant", verb: "list", command: "tenant.list",
                    summary: "list tenants", required: [], optional: []),
        CommandSpec(noun: "channel", verb: "create", command: "channel.create",
                    summary: "create a channel", required: ["tenant", "name"], optional: []),
        CommandSpec(noun: "channel", verb: "list", command: "channel.list",
                    summary: "list a tenant's channels", required: ["tenant"], optional: []),
        CommandSpec(noun: "channel", verb: "rename", command: "channel.rename",
                    summary: "rename a channel", required: ["tenant", "channel", "name"],
                    optional: []),
        CommandSpec(noun: "channel", verb: "delete", command: "channel.delete",
                    summary: "delete a channel (ends its sessions)",
                    required: ["tenant", "channel"], optional: []),
        CommandSpec(noun: "member", verb: "invite", command: "member.invite",
                    summary: "invite a member", required: ["tenant", "handle"],
                    optional: ["email", "role"]),
        CommandSpec(noun: "member", verb: "list", command: "member.list",
                    summary: "list a tenant's members", required: ["tenant"], optional: []),
        CommandSpec(noun: "member", verb: "remove", command: "member.remove",
                    summary: "remove a member (ends their sessions)",
                    required: ["tenant", "member"], optional: []),
        CommandSpec(noun: "member", verb: "password", command: "member.password",
                    summary: "set a password, read from stdin (activates an invited member)",
                    required: ["tenant", "member"], optional: [], fromStdin: "password"),
        CommandSpec(noun: "member", verb: "invitation", command: "member.invitation",
                    summary: "issue an invitation token (printed alone on stdout)",
                    required: ["tenant", "member"], optional: []),
        CommandSpec(noun: "role", verb: "set", command: "member.role",
                    summary: "change a member's role (owner, admin, member, auditor)",
                    required: ["tenant", "member", "role"], optional: []),
        CommandSpec(noun: "assign", verb: nil, command: "assign",
                    summary: "assign a member to a channel",
                    required: ["tenant", "channel", "member"], optional: []),
        CommandSpec(noun: "unassign", verb: nil, command: "unassign",
                    summary: "remove a member from a channel",
                    required: ["tenant", "channel", "member"], optional: []),
        CommandSpec(noun: "token", verb: "join", command: "token.join",
                    summary: "issue a join token (printed alone on stdout)",
                    required: ["tenant", "channel", "member"], optional: ["ttl"],
                    integers: ["ttl"]),
        CommandSpec(noun: "recording", verb: "list", command: "recording.list",
                    summary: "list recordings (every access is audited)",
                    required: ["tenant"], optional: ["channel"]),
        CommandSpec(noun: "recording", verb: "export", command: "recording.export",
                    summary: "decrypt and mix a recording to --out (wav, or ogg: Opus)",
                    required: ["tenant", "recording", "out"],
                    optional: ["format", "chunk_bytes"], integers: ["recording", "chunk_bytes"]),
        CommandSpec(noun: "recording", verb: "settings", command: "recording.settings",
                    summary: "show or set a channel's recording (--enabled on|off, "
                        + "--retention DAYS|keep)",
                    required: ["tenant", "channel"], optional: ["enabled", "retention"]),
        CommandSpec(noun: "recording", verb: "status", command: "recording.status",
                    summary: "frames recorded and dropped per recorded channel",
                    required: [], optional: []),
        CommandSpec(noun: "recording", verb: "delete", command: "recording.delete",
                    summary: "delete a recording and its transcript for good",
                    required: ["tenant", "recording"], optional: [], integers: ["recording"]),
        CommandSpec(noun: "mfa", verb: "policy", command: "mfa.policy",
                    summary: "set a tenant's MFA policy: disabled, optional or enforced",
                    required: ["tenant"], optional: [], positional: "policy"),
        CommandSpec(noun: "mfa", verb: "status", command: "mfa.status",
                    summary: "show a member's MFA state", required: ["tenant", "member"],
                    optional: []),
        CommandSpec(noun: "mfa", verb: "enroll", command: "mfa.enroll",
                    summary: "start a member's TOTP enrolment; prints the QR code and URI",
                    required: ["tenant", "member"], optional: ["algorithm"]),
        CommandSpec(noun: "mfa", verb: "reset", command: "mfa.reset",
                    summary: "delete a member's MFA so they enrol again",
                    required: ["tenant", "member"], optional: []),
    ] + auditCommands

    static let general = """
        usage: whootctl [--socket PATH] [--json] <noun> <verb> [--flag VALUE ...]

        Drives a running whootd through its admin socket.

        options:
          --socket PATH   admin socket (default: $WHOOT_ADMIN_SOCKET or /run/whoot/admin.sock)
          --json          print the daemon's result as JSON
          --help          show help (also after a noun or a command)

        commands:
        """

    static func text(noun: String? = nil) -> String {
        var lines = [general]
        for spec in commands where noun == nil || spec.noun == noun {
            lines.append("  " + line(spec))
        }
        lines.append("""

            exit status: 0 success, 1 the daemon refused or could not be reached, 2 usage error,
            3 audit verify found a broken entry
            """)
        return lines.joined(separator: "\n")
    }

    static func line(_ spec: CommandSpec) -> String {
        let words = [spec.noun, spec.verb].compactMap { $0 }.joined(separator: " ")
        let flags = spec.required.map { "--\($0) \($0.uppercased())" }
            + spec.optional.map { "[--\($0) \($0.uppercased())]" }
            + (spec.fromStdin.map { ["< \($0.uppercased())"] } ?? [])
            + (spec.positional.map { [$0.uppercased()] } ?? [])
        let usage = ([words] + flags).joined(separator: " ")
        return usage.padding(toLength: max(usage.count, 58), withPad: " ", startingAt: 0)
            + "  " + spec.summary
    }
}

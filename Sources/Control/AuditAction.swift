/// Every kind of event the audit log records: a closed list, so that a misspelt action
/// cannot reach the log. The raw value is what the log, the export and the verifier see.
///
/// Kinds whose feature lives outside whootd today (add-ons, billing, SSO, recording
/// access, settings) are recorded by the subsystem that owns them through
/// `ControlPlane.recordAuditEvent`.
public enum AuditAction: String, Sendable, CaseIterable, Codable {
    // Sessions.
    case login = "login"
    case loginFailure = "login.failure"
    case logout = "logout"

    // Tenants, members and roles.
    case tenantCreate = "tenant.create"
    case memberInvite = "member.invite"
    case memberInvitation = "member.invitation"
    case memberAccept = "member.accept"
    case memberRemove = "member.remove"
    case memberRole = "member.role"
    case memberPassword = "member.password"

    // Channels and who may enter them.
    case channelCreate = "channel.create"
    case channelRename = "channel.rename"
    case channelDelete = "channel.delete"
    case channelAssign = "channel.assign"
    case channelUnassign = "channel.unassign"
    case joinTokenIssue = "join_token.issue"
    case joinTokenRedeem = "join_token.redeem"

    // Owned by other subsystems, recorded through `recordAuditEvent`.
    case addonInstall = "addon.install"
    case addonConfigure = "addon.configure"
    case addonRemove = "addon.remove"
    case billingChange = "billing.change"
    case subscriptionChange = "subscription.change"
    case ssoConfigure = "sso.configure"
    case mfaConfigure = "mfa.configure"
    case mfaEnroll = "mfa.enroll"
    case mfaReset = "mfa.reset"
    case mfaConfirm = "mfa.confirm"
    case mfaFailure = "mfa.failure"
    case mfaPolicyChange = "mfa.policy.change"
    case loginMFAChallenge = "login.mfa_challenge"
    case recordingAccess = "recording.access"
    case recordingDelete = "recording.delete"
    case recordingSettings = "recording.settings"
    case transcriptionAccess = "transcription.access"
    case settingsChange = "settings.change"

    // The audit log and access reviews themselves.
    case auditExport = "audit.export"
    case reviewStart = "review.start"
    case reviewDecide = "review.decide"
    case reviewComplete = "review.complete"
    case reviewExport = "review.export"
}

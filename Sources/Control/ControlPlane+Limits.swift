/// Counts of the control plane's flood limits, for /metrics.
extension ControlPlane {
    /// Login attempts (password or second factor) refused because too many failed
    /// before, per account, client IP or member, since start.
    public var loginThrottleRefusals: UInt64 {
        loginThrottles.refusalCount + mfa.throttleRefusalCount
    }
}

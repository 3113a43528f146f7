/// A secret value (token, password, key, TOTP seed) that never prints itself.
///
/// Interpolating, printing or dumping it yields `<redacted>`; only `reveal` hands out
/// the value, so every place that reads a secret is visible in the code.
public struct Secret<Value>: CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: Value

    public init(_ value: Value) { self.value = value }

    public var reveal: Value { value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

extension Secret: Sendable where Value: Sendable {}

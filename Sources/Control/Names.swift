/// Validation of the names people give things. Names are checked on the way in, so the
/// store only ever holds names that are safe to print, to put in a URL path segment (slugs,
/// handles, channel names) and to pass on a command line.
enum Names {
    /// Tenant slugs: 1-63 of a-z, 0-9 and "-", starting with a letter or digit.
    static func slug(_ text: String) throws -> String {
        try identifier(text, kind: "tenant slug", maxLength: 63, extra: "-", upper: false)
    }

    /// Member handles: 1-64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit.
    static func handle(_ text: String) throws -> String {
        try identifier(text, kind: "member handle", maxLength: 64, extra: "._-", upper: false)
    }

    /// Channel names: 1-64 of A-Z, a-z, 0-9, ".", "_", "-", starting with a letter or digit.
    static func channel(_ text: String) throws -> String {
        try identifier(text, kind: "channel name", maxLength: 64, extra: "._-", upper: true)
    }

    /// Display names: 1-100 characters, no control characters, no surrounding spaces.
    static func displayName(_ text: String, kind: String) throws -> String {
        guard !text.isEmpty, text.count <= 100 else {
            throw ControlError.badRequest("\(kind) must be 1 to 100 characters")
        }
        guard text.first?.isWhitespace == false, text.last?.isWhitespace == false else {
            throw ControlError.badRequest("\(kind) must not start or end with a space")
        }
        for scalar in text.unicodeScalars where isControl(scalar) {
            throw ControlError.badRequest("\(kind) must not contain control characters")
        }
        return text
    }

    /// E-mail addresses: one "@" with text on both sides, no spaces or controls, <= 254.
    static func email(_ text: String) throws -> String {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let clean = text.unicodeScalars.allSatisfy {
            !isControl($0) && !$0.properties.isWhitespace
        }
        guard text.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            clean
        else {
            throw ControlError.badRequest("e-mail address is not valid")
        }
        return text
    }

    private static func identifier(
        _ text: String, kind: String, maxLength: Int, extra: String, upper: Bool
    ) throws -> String {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength else {
            throw ControlError.badRequest("\(kind) must be 1 to \(maxLength) characters")
        }
        let extras = Array(extra.utf8)
        for (index, byte) in bytes.enumerated() {
            let alphanumeric = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || (upper && byte >= 0x41 && byte <= 0x5A)
            guard alphanumeric || (index > 0 && extras.contains(byte)) else {
                let allowed = upper ? "letters" : "lower-case letters"
                throw ControlError.badRequest(
                    "\(kind) may hold only \(allowed), digits and \"\(extra)\", "
                        + "starting with a letter or digit")
            }
        }
        return text
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned,
            .privateUse:
            return true
        default:
            return false
        }
    }
}

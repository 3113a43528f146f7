import Foundation

/// Checks a request head for framing a proxy in front could read differently from
/// libmicrohttpd, which would let a second request hide in the first one's body
/// (request smuggling). Pure: it sees the header fields as libmicrohttpd parsed them.
///
/// Refused (RFC 9112 sections 5.1, 6.1, 6.3): a field name that is not a token
/// (whitespace before the colon); a name that merely starts with a framing header's
/// name (libmicrohttpd 0.9.75 folds an obs-fold continuation into the name); more than
/// one `Content-Length`; `Content-Length` beside `Transfer-Encoding`; more than one
/// `Transfer-Encoding`; a coding list that does not end in one `chunked` (400), or that
/// asks for another coding as well (501, not implemented).
struct FramingProblem: Equatable, CustomStringConvertible {
    let status: Int
    let message: String
    /// True when libmicrohttpd's framing of the body is still known and bounded (by its
    /// first `Content-Length`), so the body can be read and dropped before the answer; a
    /// client that writes before it reads then gets the answer instead of a reset.
    let readBodyFirst: Bool

    var description: String { "\(status) \(message)" }

    static func check(_ fields: [(name: String, value: String)]) -> FramingProblem? {
        var lengths = 0
        var encodings: [String] = []
        for (name, value) in fields {
            let lower = name.lowercased()
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                let shown = ErrorText.printable(name)
                return FramingProblem(
                    status: 400, message: "header name \"\(shown)\" is not a token",
                    readBodyFirst: false)
            }
            switch lower {
            case "content-length": lengths += 1
            case "transfer-encoding": encodings.append(value)
            default:
                if lower.hasPrefix("content-length") || lower.hasPrefix("transfer-encoding") {
                    return FramingProblem(
                        status: 400, message: "malformed header \"\(ErrorText.printable(name))\"",
                        readBodyFirst: false)
                }
            }
        }
        if lengths > 1 {
            return FramingProblem(
                status: 400, message: "more than one Content-Length header",
                readBodyFirst: true)
        }
        if lengths == 1 && !encodings.isEmpty {
            return FramingProblem(
                status: 400, message: "both Content-Length and Transfer-Encoding headers",
                readBodyFirst: true)
        }
        if encodings.count > 1 {
            return FramingProblem(
                status: 400, message: "more than one Transfer-Encoding header",
                readBodyFirst: false)
        }
        return encodings.first.flatMap(codingProblem)
    }

    /// The problem with a `Transfer-Encoding` value other than exactly `chunked`.
    private static func codingProblem(_ value: String) -> FramingProblem? {
        let codings = value.lowercased().split(separator: ",")
            .map { $0.trimmingCharacters(in: [" ", "\t"]) }
            .filter { !$0.isEmpty }
        if codings == ["chunked"] { return nil }
        if codings.last != "chunked" || codings.filter({ $0 == "chunked" }).count > 1 {
            return FramingProblem(
                status: 400, message: "Transfer-Encoding must end in a single chunked",
                readBodyFirst: false)
        }
        return FramingProblem(
            status: 501, message: "only the chunked transfer coding is supported",
            readBodyFirst: false)
    }

    /// The punctuation RFC 9110 allows in a token, besides letters and digits.
    private static let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)

    /// RFC 9110 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return tokenPunctuation.contains(byte)
        }
    }
}

/// Text from a request echoed in an error message.
public enum ErrorText {
    /// `text` cut to 40 characters and stripped of control characters.
    public static func printable(_ text: String) -> String {
        let clean = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        return String(String.UnicodeScalarView(clean.prefix(40)))
    }
}

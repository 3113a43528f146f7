import Foundation

/// Finds a name used twice in one JSON object. Foundation's decoder keeps one of the
/// values silently, so a body like `{"enabled":false,"enabled":true}` would mean whatever
/// the parser happened to pick; the API refuses it instead (RFC 8259 4 says names
/// "SHOULD be unique").
enum JSONDuplicateKeys {
    /// The first repeated name in `text`, which must already have parsed as JSON; nil when
    /// every object's names are unique. Names are compared after unescaping.
    static func first(in text: [UInt8]) -> String? {
        // One entry per open container: the names seen so far, or nil for an array.
        var open: [Set<String>?] = []
        var expectingName = false
        var index = 0
        while index < text.count {
            let byte = text[index]
            switch byte {
            case UInt8(ascii: "{"):
                open.append([])
                expectingName = true
            case UInt8(ascii: "["):
                open.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
            case UInt8(ascii: ","):
                expectingName = open.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                let end = stringEnd(text, from: index)
                if expectingName, var names = open.last ?? nil {
                    let name = unescape(Array(text[index...end]))
                    guard names.insert(name).inserted else { return name }
                    open[open.count - 1] = names
                    expectingName = false
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The index of the quote closing the string that opens at `start`.
    private static func stringEnd(_ text: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < text.count, text[index] != UInt8(ascii: "\"") {
            index += text[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return min(index, text.count - 1)
    }

    /// A JSON string token (with its quotes) as the string it denotes.
    private static func unescape(_ token: [UInt8]) -> String {
        (try? JSONDecoder().decode(String.self, from: Data(token)))
            ?? String(decoding: token, as: UTF8.self)
    }
}

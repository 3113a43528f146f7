import Foundation

import Admin

/// How whootctl shows results: tables for people, the daemon's JSON with `--json`.
enum Output {
    static func print(_ result: JSONValue, for spec: CommandSpec, json: Bool) {
        if json {
            Swift.print(result.description)
            return
        }
        switch spec.command {
        case "token.join", "member.invitation":
            Swift.print(result["token"]?.stringValue ?? "")
        case "mfa.enroll":
            Swift.print(result["qr_terminal"]?.stringValue ?? "")
            Swift.print(result["uri"]?.stringValue ?? "")
        case "tenant.list":
            table(result["tenants"], columns: ["id", "slug", "name"])
        case "channel.list":
            table(result["channels"], columns: ["id", "name", "members"])
        case "member.list":
            table(result["members"], columns: ["id", "handle", "role", "status", "email",
                                               "channels"])
        default:
            for (key, value) in (result.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                Swift.print("\(key): \(cell(value))")
            }
        }
    }

    static func table(_ rows: JSONValue?, columns: [String]) {
        let rows = rows?.arrayValue ?? []
        let cells = rows.map { row in columns.map { cell(row[$0] ?? .null) } }
        let widths = columns.indices.map { column in
            ([columns[column].count] + cells.map { $0[column].count }).max() ?? 0
        }
        func line(_ values: [String]) -> String {
            // Padded by characters, as the widths are counted: String.padding counts UTF-16
            // units and cut names with characters beyond the BMP (emoji) short.
            zip(values, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        Swift.print(line(columns.map { $0.uppercased() }))
        for row in cells { Swift.print(line(row)) }
    }

    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: return "-"
        case .string(let text): return text
        case .array(let items): return items.map(cell).joined(separator: ",")
        default: return value.description
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

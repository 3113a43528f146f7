/// A value bound to, or read from, one SQL parameter or column. SQL text never carries
/// values: every value reaches SQLite through one of these, bound to a `?N` parameter.
enum SQLValue: Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
    static func optional(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
}

/// One result row, read by column index in the order of the SELECT list.
struct Row {
    let values: [SQLValue]

    func int(_ index: Int) -> Int64 {
        if case .integer(let value) = values[index] { return value }
        return 0
    }

    func optionalInt(_ index: Int) -> Int64? {
        if case .integer(let value) = values[index] { return value }
        return nil
    }

    func text(_ index: Int) -> String { optionalText(index) ?? "" }

    func optionalText(_ index: Int) -> String? {
        if case .text(let value) = values[index] { return value }
        return nil
    }

    func blob(_ index: Int) -> [UInt8] {
        if case .blob(let value) = values[index] { return value }
        return []
    }
}

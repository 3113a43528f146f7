import CSQLite

/// One prepared statement; the only owner of its `sqlite3_stmt`. Used only by the
/// `Connection` that prepared it, under the store's lock.
final class Statement {
    private let handle: OpaquePointer
    private let db: OpaquePointer
    let sql: String

    init(db: OpaquePointer, sql: String) throws {
        var statement: OpaquePointer?
        let flags = UInt32(SQLITE_PREPARE_PERSISTENT)
        let rc = sqlite3_prepare_v3(db, sql, -1, flags, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw StoreError.sqlite("prepare", db)
        }
        self.handle = statement
        self.db = db
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `parameters` to `?1`...`?N`, steps to completion and returns every row.
    /// The statement is reset afterwards, so it can be run again.
    func run(_ parameters: [SQLValue]) throws -> [Row] {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == parameters.count else {
            throw StoreError(
                "bind", message: "statement takes \(expected) parameters, got \(parameters.count)")
        }
        for (offset, value) in parameters.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }

        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw StoreError.sqlite("step", db) }
            rows.append(readRow())
        }
    }

    private func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .integer(let number):
            rc = sqlite3_bind_int64(handle, index, number)
        case .text(let text):
            var utf8 = Array(text.utf8)
            let count = Int32(utf8.count)
            utf8.append(0)
            rc = sqlite3_bind_text(handle, index, utf8, count, whoot_sqlite_transient())
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { raw in
                // A zero-length blob still needs a non-null pointer to stay a blob.
                sqlite3_bind_blob(
                    handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                    Int32(raw.count), whoot_sqlite_transient())
            }
        }
        guard rc == SQLITE_OK else { throw StoreError.sqlite("bind", db) }
    }

    private func readRow() -> Row {
        let count = sqlite3_column_count(handle)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            switch sqlite3_column_type(handle, column) {
            case SQLITE_INTEGER:
                values.append(.integer(sqlite3_column_int64(handle, column)))
            case SQLITE_TEXT:
                let length = Int(sqlite3_column_bytes(handle, column))
                let text = sqlite3_column_text(handle, column).map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
                values.append(.text(text ?? ""))
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(handle, column))
                let pointer = sqlite3_column_blob(handle, column)
                let bytes = pointer.map {
                    Array(UnsafeRawBufferPointer(start: $0, count: length))
                }
                values.append(.blob(bytes ?? []))
            case SQLITE_FLOAT:
                // The schema stores no floating-point columns; keep the integer part.
                values.append(.integer(Int64(sqlite3_column_double(handle, column))))
            default:
                values.append(.null)
            }
        }
        return Row(values: values)
    }
}

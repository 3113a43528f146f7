import CSQLite

/// An error from the store: which operation failed, SQLite's result code and message.
public struct StoreError: Error, CustomStringConvertible, Equatable {
    /// What the store was doing, e.g. "prepare", "step", "open /var/lib/whoot/whoot.db".
    public let operation: String
    /// SQLite's extended result code, or 0 when the error did not come from SQLite.
    public let code: Int32
    public let message: String

    public init(_ operation: String, code: Int32 = 0, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    /// True when a UNIQUE, PRIMARY KEY, CHECK or FOREIGN KEY constraint refused a write.
    public var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }

    /// True when a UNIQUE or PRIMARY KEY constraint refused a write.
    public var isUniqueViolation: Bool {
        // SQLITE_CONSTRAINT_PRIMARYKEY and _UNIQUE are macros Swift cannot import.
        code == SQLITE_CONSTRAINT | (6 << 8) || code == SQLITE_CONSTRAINT | (8 << 8)
    }

    public var description: String {
        code == 0 ? "\(operation) failed: \(message)"
            : "\(operation) failed: \(message) (sqlite code \(code))"
    }

    /// The error SQLite reports for `db` after a failed call.
    static func sqlite(_ operation: String, _ db: OpaquePointer?) -> StoreError {
        guard let db else { return StoreError(operation, code: SQLITE_NOMEM, message: "no handle") }
        let message = String(cString: sqlite3_errmsg(db))
        return StoreError(operation, code: sqlite3_extended_errcode(db), message: message)
    }
}

import Foundation
import CPostgres

/// One PostgreSQL connection through libpq; the only owner of its `PGconn`.
///
/// Statements are sent with `PQexecParams`: values travel apart from the SQL text, in
/// binary, with their type (int8, text, bytea), and results come back in binary. Not
/// thread-safe: the `Store` that owns it calls it only under its lock.
final class PostgresConnection: DatabaseBackend {
    let handle: OpaquePointer
    private(set) var changes = 0

    var dialect: SQLDialect { .postgres }

    /// Connects with `conninfo` (a `postgres://` URI or `key=value` pairs, see libpq).
    /// The error names the server's reason but never repeats the conninfo, which may
    /// carry a password.
    init(conninfo: String) throws {
        guard let connection = PQconnectdb(conninfo) else {
            throw StoreError("connect to PostgreSQL", message: "libpq is out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw StoreError("connect to PostgreSQL", message: message)
        }
        handle = connection
        try exec("SET client_min_messages = warning")
    }

    deinit { PQfinish(handle) }

    /// The role this connection acts as (`current_user`).
    func currentUser() throws -> String {
        try run("SELECT current_user::text", []).first?.text(0) ?? ""
    }

    func run(_ sql: String, _ parameters: [SQLValue]) throws -> [Row] {
        let bound = PostgresParameters(parameters)
        let result = bound.withArrays { types, values, lengths, formats in
            PQexecParams(
                handle, SQLDialect.postgresPlaceholders(sql), Int32(parameters.count),
                types, values, lengths, formats, 1)
        }
        return try consume(result, operation: "query")
    }

    func exec(_ sql: String) throws {
        _ = try consume(PQexec(handle, sql), operation: "exec")
    }

    func begin(write: Bool) throws {
        // Reads see one snapshot; writes see each statement's latest committed rows, and
        // take row or advisory locks where order matters (the audit chain).
        try exec(write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ")
    }

    func setTenant(_ tenant: Int64?) throws {
        _ = try run(
            "SELECT set_config('whoot.tenant', ?1, true)",
            [.text(tenant.map { String($0) } ?? "")])
    }

    func setCapability(_ hash: [UInt8]?) throws {
        _ = try run(
            "SELECT set_config('whoot.capability', ?1, true)",
            [.text(hash.map(Self.hex) ?? "")])
    }

    func lockAuditChain(_ tenant: Int64) throws {
        // Key space 0x776f6f74 ("woot") keeps these locks apart from any other user's.
        _ = try run(
            "SELECT pg_advisory_xact_lock(2003791732, (?1 % 2147483648)::integer)",
            [.integer(tenant)])
    }

    /// PostgreSQL's write-ahead log belongs to the server, which recycles it; nothing for
    /// a client to do.
    func scrubJournal() throws {}

    private func consume(_ result: OpaquePointer?, operation: String) throws -> [Row] {
        guard let result else {
            throw StoreError(operation, message: Self.trimmed(PQerrorMessage(handle)))
        }
        defer { PQclear(result) }

        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            changes = Int(String(cString: PQcmdTuples(result))) ?? 0
            return try PostgresRows.decode(result)
        default:
            throw Self.error(operation, result)
        }
    }

    /// A server error as a `StoreError`. Integrity violations (SQLSTATE class 23) carry
    /// SQLite's constraint codes, so callers test `isConstraintViolation` and
    /// `isUniqueViolation` the same way on both backends.
    private static func error(_ operation: String, _ result: OpaquePointer) -> StoreError {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C")))
            .map { String(cString: $0) } ?? ""
        let message = trimmed(PQresultErrorMessage(result))
        let constraint: Int32 = 19
        let code: Int32
        switch state {
        case "23505": code = constraint | (8 << 8)
        case _ where state.hasPrefix("23"): code = constraint
        default: code = 0
        }
        return StoreError(operation, code: code, message: "\(message) (SQLSTATE \(state))")
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        let text = message.map { String(cString: $0) } ?? "unknown error"
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}

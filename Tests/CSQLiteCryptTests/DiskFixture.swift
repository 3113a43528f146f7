import Foundation

/// The tenant data the tests look for on disk.
enum Secret {
    static let email = "alice.secret@example.test"
    static let channel = "secret-lobby-name"
    static let sqliteMagic = "SQLite format 3"
    static let all = [email, channel, sqliteMagic]
}

/// A directory of its own for one test, removed on deinit.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("whoot-crypt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Every file in the directory with its bytes, by name.
    func snapshot() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            files[name] = try Data(contentsOf: url.appendingPathComponent(name))
        }
        return files
    }

    func size(_ name: String) -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path(name))
        return (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }

    func copy(_ name: String, to newName: String) throws {
        try FileManager.default.copyItem(atPath: path(name), toPath: path(newName))
    }

    /// XORs one byte of a file in place.
    func flipByte(of name: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: url.appendingPathComponent(name))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let old = try handle.read(upToCount: 1) ?? Data([0])
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([old[0] ^ 0x5a]))
    }
}

/// Which of `needles` occur in `bytes`, as `file: needle` strings.
func plaintextFound(in files: [String: Data], needles: [String] = Secret.all) -> [String] {
    var found: [String] = []
    for (name, bytes) in files.sorted(by: { $0.key < $1.key }) {
        for needle in needles where bytes.range(of: Data(needle.utf8)) != nil {
            found.append("\(name): \(needle)")
        }
    }
    return found
}

/// Creates the tenant tables and fills them over `transactions` commits. Each member row
/// carries the known email and each channel row the known name, with padding so the data
/// spans many pages.
func fillTenantData(_ db: CryptDatabase, transactions: Int, rows: Int, from start: Int = 0)
    throws
{
    try db.exec("""
        CREATE TABLE IF NOT EXISTS member(id INTEGER PRIMARY KEY, tenant INTEGER, email TEXT,
                                          note TEXT);
        CREATE TABLE IF NOT EXISTS channel(id INTEGER PRIMARY KEY, tenant INTEGER, name TEXT);
        """)
    for transaction in 0..<transactions {
        var sql = "BEGIN;"
        for row in 0..<rows {
            let id = start + transaction * rows + row
            sql += "INSERT INTO member VALUES(\(id), 7, '\(Secret.email)', "
                + "'\(id)' || hex(zeroblob(200)));"
            sql += "INSERT INTO channel VALUES(\(id), 7, '\(Secret.channel)');"
        }
        try db.exec(sql + "COMMIT;")
    }
}

/// Rows whose tenant data reads back exactly as written.
func intactRows(_ db: CryptDatabase) throws -> Int {
    try db.int("""
        SELECT count(*) FROM member JOIN channel USING(id)
        WHERE email = '\(Secret.email)' AND name = '\(Secret.channel)'
          AND note = id || hex(zeroblob(200))
        """)
}

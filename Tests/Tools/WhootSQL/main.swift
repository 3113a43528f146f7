// whoot-sql: runs one SQL script against an encrypted whoot database, for tests that
// play an attacker who holds the database key (tamper detection of the audit log) or
// that inspect what is stored. Never part of an installation.
//
// usage: whoot-sql STATE_DIR  (the SQL script on stdin; exit 1 with SQLite's message)
@testable import Store
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: whoot-sql STATE_DIR < script.sql\n".utf8))
    exit(2)
}
let state = arguments[1]
let script = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
do {
    let key = try DatabaseKey.load(stateDirectory: state)
    let connection = try Connection(path: state + "/whoot.db", vfs: try EncryptedVFS(key: key))
    try connection.exec(script)
} catch {
    FileHandle.standardError.write(Data("whoot-sql: \(error)\n".utf8))
    exit(1)
}

import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

/// The database on disk through the encrypting VFS: no tenant data in clear in the
/// database file, its WAL or its shared-memory index; a wrong key refused with a clear
/// error; the key file created private and refused when it is not.
@Suite struct EncryptionAtRestTests {
    static let email = "margarethe.example@acme-tenant.example"
    static let channel = "quarterly-secret-roadmap"

    /// Writes a member with `email` and a channel, leaves the store open (so the WAL and
    /// -shm exist), and returns every file's bytes beside the database.
    func writeAndRead(key: Secret<[UInt8]>?, in directory: String) throws -> [String: Data] {
        let store = try Store(path: directory + "/whoot.db", key: key)
        let control = ControlPlane(store: store)
        let tenant = try control.createTenant(slug: "acme", name: "Acme", actor: .system)
        try control.createChannel(tenant: tenant, name: Self.channel, actor: .system)
        try control.inviteMember(tenant: tenant, handle: "marg", email: Self.email, actor: .system)

        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        withExtendedLifetime(store) {}
        return files
    }

    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "whoot-crypt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func emailAndChannelNameAreAbsentFromEveryFileOnDisk() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = Secret(SecureRandom.bytes(32))

        let files = try writeAndRead(key: key, in: directory)

        #expect(files.keys.contains("whoot.db") && files.keys.contains("whoot.db-wal"))
        for (name, bytes) in files {
            #expect(bytes.range(of: Data(Self.email.utf8)) == nil, "\(name) holds the e-mail")
            #expect(bytes.range(of: Data(Self.channel.utf8)) == nil, "\(name) holds the name")
        }
        let reopened = ControlPlane(store: try Store(path: directory + "/whoot.db", key: key))
        let acme = try reopened.tenantID(slug: "acme")
        #expect(try reopened.member(tenant: acme, handle: "marg").email == Self.email)
    }

    /// The same run without a key leaves both in clear, so the check above can fail.
    @Test func withoutAKeyTheSameBytesAreInClear() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let files = try writeAndRead(key: nil, in: directory)

        let all = files.values.reduce(Data(), +)
        #expect(all.range(of: Data(Self.email.utf8)) != nil)
    }

    @Test func theWrongKeyFailsToOpenWithAClearError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try writeAndRead(key: Secret(SecureRandom.bytes(32)), in: directory)

        do {
            _ = try Store(path: directory + "/whoot.db", key: Secret(SecureRandom.bytes(32)))
            Issue.record("opened with the wrong key")
        } catch let error as StoreError {
            #expect(error.description.contains("wrong key"), "\(error)")
        }
    }

    @Test func theKeyFileIsCreatedPrivateAndReusedAfterwards() throws {
        let state = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(
            atPath: state + "/keys", withIntermediateDirectories: true)

        let first = try DatabaseKey.load(stateDirectory: state, environment: [:])
        let second = try DatabaseKey.load(stateDirectory: state, environment: [:])
        let mode = try FileManager.default.attributesOfItem(atPath: state + "/keys/db.key")[
            .posixPermissions] as? Int

        #expect(first.reveal.count == 32 && first.reveal == second.reveal)
        #expect(mode == 0o600)
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let state = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(
            atPath: state + "/keys", withIntermediateDirectories: true)
        _ = try DatabaseKey.load(stateDirectory: state, environment: [:])
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644], ofItemAtPath: state + "/keys/db.key")

        #expect(throws: StoreError.self) {
            try DatabaseKey.load(stateDirectory: state, environment: [:])
        }
    }

    @Test func aSystemdCredentialWinsOverTheKeyFile() throws {
        let state = try temporaryDirectory()
        let credentials = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: credentials)
        }
        let bytes = SecureRandom.bytes(32)
        #expect(FileManager.default.createFile(
            atPath: credentials + "/db.key", contents: Data(bytes)))

        let key = try DatabaseKey.load(
            stateDirectory: state, environment: ["CREDENTIALS_DIRECTORY": credentials])

        #expect(key.reveal == bytes)
        #expect(!FileManager.default.fileExists(atPath: state + "/keys/db.key"))
    }
}

/// Deleting a secret deletes every copy the database keeps: `secure_delete` overwrites the
/// database file's freed pages, and the WAL, which holds every committed version of a page
/// until it is reset, is checkpointed and emptied after the commit.
@Suite struct DeletedSecretJournalTests {
    @Test func aDeletedRecordingsWrappedKeyLeavesTheWAL() throws {
        let directory = NSTemporaryDirectory() + "whoot-scrub-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // No key: the bytes are in clear, so a copy left anywhere would be found.
        let store = try Store(path: directory + "/whoot.db")
        let control = ControlPlane(store: store)
        let tenant = try control.createTenant(slug: "acme", name: "Acme", actor: .system)
        let channel = try control.createChannel(tenant: tenant, name: "ops", actor: .system)
        let fileID = "file-id-that-must-vanish-7f3a9c"
        let wrappedKey = Array("wrapped-key-bytes-that-must-vanish-0b1d".utf8)
        let id = try store.write {
            try $0.insertRecording(
                TenantScope(tenant), fileID: fileID, channel: channel,
                path: "recordings/\(fileID).wrec", startedAtMs: 1, wrappedKey: wrappedKey,
                expiresAtMs: nil)
        }
        let walPath = directory + "/whoot.db-wal"
        let before = FileManager.default.contents(atPath: walPath) ?? Data()
        #expect(before.range(of: Data(fileID.utf8)) != nil, "the row is in the WAL at first")

        #expect(try store.write { try $0.deleteRecording(TenantScope(tenant), id: id) })

        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let bytes = FileManager.default.contents(atPath: directory + "/" + name) ?? Data()
            #expect(bytes.range(of: Data(fileID.utf8)) == nil, "\(name) still holds the row")
            #expect(bytes.range(of: Data(wrappedKey)) == nil, "\(name) still holds the key")
        }
        withExtendedLifetime(store) {}
    }
}

import CSQLite
import CSQLiteCrypt
import Foundation
import Testing

/// Registering and unregistering VFS instances.
struct RegistrationTests {
    @Test func unregisterWaitsUntilEveryFileIsClosed() throws {
        let dir = try ScratchDirectory()
        let name = "whoot-crypt-reg-\(UUID().uuidString)"
        #expect(whoot_crypt_vfs_register(name, TestVFS.randomKey()) == SQLITE_OK)
        var db: OpaquePointer?
        #expect(sqlite3_open_v2(dir.path("a.db"), &db, SQLITE_OPEN_READWRITE
            | SQLITE_OPEN_CREATE, name) == SQLITE_OK)

        #expect(whoot_crypt_vfs_unregister(name) == SQLITE_BUSY)
        sqlite3_close(db)
        #expect(whoot_crypt_vfs_unregister(name) == SQLITE_OK)
        #expect(whoot_crypt_vfs_unregister(name) == SQLITE_NOTFOUND)
    }

    @Test func aNameCanBeRegisteredOnlyOnce() throws {
        let vfs = try TestVFS()

        #expect(whoot_crypt_vfs_register(vfs.name, TestVFS.randomKey()) == SQLITE_MISUSE)
        #expect(whoot_crypt_vfs_register("", TestVFS.randomKey()) == SQLITE_MISUSE)
        #expect(whoot_crypt_vfs_unregister("unix") == SQLITE_NOTFOUND)
    }

    @Test func registeringDoesNotChangeTheDefaultVFS() throws {
        let vfs = try TestVFS()

        let defaultVFS = try #require(sqlite3_vfs_find(nil))
        #expect(String(cString: defaultVFS.pointee.zName) != vfs.name)
    }
}

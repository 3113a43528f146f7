import Crypto
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct CertificateTests {
    @Test func pemRoundTripKeepsTheFingerprint() throws {
        let original = try Certificate.generateSelfSigned(
            commonName: "whootd", subjectAltNames: ["localhost", "127.0.0.1", "::1"])
        let copy = try Certificate(pem: original.pem.reveal)

        #expect(copy.fingerprint(.sha256) == original.fingerprint(.sha256))
        #expect(copy.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(copy.privateKeyPEM.reveal.contains("BEGIN " + "PRIVATE KEY"))  // PKCS #8
        #expect("\(copy.pem)" == "<redacted>")
    }

    @Test func fingerprintLengthsFollowTheHash() throws {
        let certificate = try Certificate.generateSelfSigned(commonName: "x")
        for hash in [HashFunction.sha256, .sha384, .sha512] {
            #expect(certificate.fingerprint(hash).count == hash.length)
        }
        let der = try Certificate.generateSelfSigned(commonName: "x")
        #expect(der.fingerprint(.sha256) != certificate.fingerprint(.sha256))
    }

    @Test func pemWithForeignKeyIsRefused() throws {
        let a = try Certificate.generateSelfSigned(commonName: "a")
        let b = try Certificate.generateSelfSigned(commonName: "b")
        #expect(throws: CryptoError.self) {
            _ = try Certificate(pem: a.certificatePEM + b.privateKeyPEM.reveal)
        }
        #expect(throws: CryptoError.self) { _ = try Certificate(pem: a.certificatePEM) }
    }

    @Test func subjectAltNameThatIsNeitherNameNorAddressIsRefused() {
        #expect(throws: CryptoError.self) {
            _ = try Certificate.generateSelfSigned(commonName: "x", subjectAltNames: ["a,b"])
        }
    }

    @Test func loadOrCreateWritesAPrivateFileAndReadsItBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/dtls.pem"
        let created = try Certificate.loadOrCreate(
            path: path, commonName: "whootd", subjectAltNames: ["localhost"])

        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let loaded = try Certificate.loadOrCreate(
            path: path, commonName: "ignored", subjectAltNames: [])
        #expect(loaded.fingerprint(.sha256) == created.fingerprint(.sha256))
    }

    @Test func loadOrCreateRefusesAKeyFileOthersCanRead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/dtls.pem"
        _ = try Certificate.loadOrCreate(path: path, commonName: "w", subjectAltNames: [])
        #expect(chmod(path, 0o644) == 0)

        let error = try #require(throws: CryptoError.self) {
            _ = try Certificate.loadOrCreate(path: path, commonName: "w", subjectAltNames: [])
        }
        #expect(error.reason.contains("0644"))
        #expect(error.reason.contains("chmod 600"))
    }

    @Test func aKeyBehindADanglingLinkIsRefusedAndTheLinkKept() throws {
        // A key on a volume not mounted yet: a new key in its place would make everything
        // the old one sealed unreadable.
        let directory = try TemporaryDirectory()
        let path = directory.path + "/master.key"
        #expect(symlink(directory.path + "/not-mounted/master.key", path) == 0)

        let error = try #require(throws: CryptoError.self) {
            _ = try KeyFile.read(path)
        }
        #expect(error.reason.contains("symbolic link"))
        var entry = stat()
        #expect(lstat(path, &entry) == 0 && entry.st_mode & S_IFMT == S_IFLNK)
    }

    @Test func creatingAKeyNeverReplacesWhatIsThere() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/master.key"
        try KeyFile.create(path, contents: Secret([1, 2, 3]))
        #expect(throws: CryptoError.self) {
            try KeyFile.create(path, contents: Secret([4, 5, 6]))
        }
        #expect(try KeyFile.read(path)?.reveal == [1, 2, 3])
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left == ["master.key"], "no temporary file left: \(left)")
    }

    @Test func aKeyFileOwnedByAnotherUserIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/db.key"
        try KeyFile.create(path, contents: Secret([7]))
        let other: uid_t = geteuid() == 65534 ? 65533 : 65534
        guard chown(path, other, gid_t(getegid())) == 0 else { return }  // not root: no chown
        let error = try #require(throws: CryptoError.self) { _ = try KeyFile.read(path) }
        #expect(error.reason.contains("owned by uid \(other)"))
    }
}

/// A fresh directory under /tmp, removed with its files when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/whoot-crypto-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else {
            throw CryptoError("mkdtemp", reason: String(cString: strerror(errno)))
        }
        path = String(cString: result)
    }

    deinit {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(directory)
        }
        rmdir(path)
    }
}

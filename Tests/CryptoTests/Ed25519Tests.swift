import Crypto
import Testing

@Suite struct Ed25519Tests {
    /// RFC 8032 section 7.1, test 1 (empty message).
    @Test func signatureMatchesRFC8032TestVectorOne() throws {
        let seed = try #require(Hex.decode(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try Ed25519.PrivateKey(seed: Secret(seed))
        #expect(Hex.encode(try key.publicKey.raw)
            == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(Hex.encode(try key.sign([]))
            == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a3"
            + "3bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    }

    @Test func publicKeyFromPEMVerifiesAndRefusesAChangedMessage() throws {
        let key = try Ed25519.PrivateKey.generate()
        let message = Array("checkpoint 42".utf8)
        let signature = try key.sign(message)
        let publicKey = try Ed25519.PublicKey(pem: try key.publicKey.pem)

        #expect(publicKey.verify(signature, of: message))
        #expect(!publicKey.verify(signature, of: Array("checkpoint 43".utf8)))
        var flipped = signature
        flipped[5] ^= 1
        #expect(!publicKey.verify(flipped, of: message))
        #expect(!(try Ed25519.PrivateKey.generate().publicKey).verify(signature, of: message))
    }

    @Test func privateKeyPEMRoundTripsAndKeyFileIsPrivate() throws {
        let path = "/tmp/whoot-ed25519-\(Hex.encode(SecureRandom.bytes(6))).pem"
        defer { unlinkFile(path) }
        let created = try Ed25519.PrivateKey.loadOrCreate(path: path)
        let loaded = try Ed25519.PrivateKey.loadOrCreate(path: path)

        #expect(try created.publicKey.raw == loaded.publicKey.raw)
        #expect(fileMode(path) == 0o600)
        #expect("\(created.pem)" == "<redacted>")
    }
}

#if canImport(Glibc)
    import Glibc
#endif

private func fileMode(_ path: String) -> UInt32 {
    var info = stat()
    return stat(path, &info) == 0 ? UInt32(info.st_mode & 0o777) : 0
}

private func unlinkFile(_ path: String) { unlink(path) }

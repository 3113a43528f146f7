import Crypto
import Testing

@Suite struct DTLSHandshakeTests {
    @Test func handshakeCompletesAndKeysMatchCrosswise() throws {
        let harness = try DTLSHarness()
        harness.start()
        harness.pump()

        let client = try #require(harness.clientMaterial)
        let server = try #require(harness.serverMaterial)
        #expect(harness.client.isConnected && harness.server.isConnected)
        #expect(client.localKey.reveal == server.remoteKey.reveal)
        #expect(client.localSalt.reveal == server.remoteSalt.reveal)
        #expect(client.remoteKey.reveal == server.localKey.reveal)
        #expect(client.remoteSalt.reveal == server.localSalt.reveal)
        #expect(client.localKey.reveal != client.remoteKey.reveal)
        #expect(client.localKey.reveal.count == 16)
    }

    @Test func keyingMaterialNeverPrintsItsKeys() throws {
        let harness = try DTLSHarness()
        harness.start()
        harness.pump()

        let material = try #require(harness.clientMaterial)
        let printed = "\(material) \(String(reflecting: material)) \(harness.clientEvents)"
        #expect(printed.contains("<redacted>"))
        #expect(!printed.contains("\(material.localKey.reveal)"))
        #expect(!printed.contains(Hex.encode(material.localKey.reveal)))
    }

    @Test func gcmIsSelectedWhenBothOfferIt() throws {
        let harness = try DTLSHarness()
        harness.start()
        harness.pump()

        let client = try #require(harness.clientMaterial)
        #expect(client.profile == .aeadAes128Gcm)
        #expect(client.localSalt.reveal.count == 12)
        #expect(harness.serverMaterial?.profile == .aeadAes128Gcm)
    }

    @Test func cmIsSelectedWhenTheClientOffersOnlyCm() throws {
        let harness = try DTLSHarness(clientProfiles: [.aes128CmSha1_80])
        harness.start()
        harness.pump()

        let server = try #require(harness.serverMaterial)
        #expect(server.profile == .aes128CmSha1_80)
        #expect(server.localSalt.reveal.count == 14)
        #expect(harness.clientMaterial?.profile == .aes128CmSha1_80)
    }

    @Test func serverRejectsClientWhoseCertificateIsNotInTheSDP() throws {
        let stranger = try Certificate.generateSelfSigned(commonName: "stranger")
        let harness = try DTLSHarness(serverExpects: { _ in
            [CertificateFingerprint(hash: .sha256, bytes: stranger.fingerprint(.sha256))]
        })
        harness.start()
        harness.pump()

        let reason = try #require(DTLSHarness.failure(harness.serverEvents))
        #expect(reason == "peer certificate fingerprint does not match the SDP")
        #expect(harness.serverMaterial == nil)
        #expect(harness.clientMaterial == nil)
        // The client learns of it from the alert the server sent.
        #expect(DTLSHarness.failure(harness.clientEvents) != nil)
    }

    @Test func clientRejectsServerWhoseCertificateIsNotInTheSDP() throws {
        let harness = try DTLSHarness(clientExpects: { server in
            var wrong = server.fingerprint(.sha256)
            wrong[0] ^= 1
            return [CertificateFingerprint(hash: .sha256, bytes: wrong)]
        })
        harness.start()
        harness.pump()

        let reason = try #require(DTLSHarness.failure(harness.clientEvents))
        #expect(reason == "peer certificate fingerprint does not match the SDP")
        #expect(DTLSHarness.failure(harness.serverEvents) != nil)
        #expect(harness.serverMaterial == nil)
    }

    @Test(arguments: [HashFunction.sha384, .sha512])
    func strongerFingerprintAloneIsAccepted(_ hash: HashFunction) throws {
        let expect: DTLSHarness.Expectation = { certificate in
            [CertificateFingerprint(hash: hash, bytes: certificate.fingerprint(hash))]
        }
        let harness = try DTLSHarness(clientExpects: expect, serverExpects: expect)
        harness.start()
        harness.pump()

        #expect(harness.clientMaterial != nil)
        #expect(harness.serverMaterial != nil)
    }

    @Test func anyMatchingFingerprintAmongSeveralIsAccepted() throws {
        let harness = try DTLSHarness(serverExpects: { client in
            [
                CertificateFingerprint(hash: .sha256, bytes: [UInt8](repeating: 0, count: 32)),
                CertificateFingerprint(hash: .sha512, bytes: client.fingerprint(.sha512)),
            ]
        })
        harness.start()
        harness.pump()

        #expect(harness.serverMaterial != nil)
    }
}

import COpenSSL

extension DTLSEndpoint {
    /// The exporter label for DTLS-SRTP keys (RFC 5764 4.2).
    static let exporterLabel = "EXTRACTOR-dtls_srtp"

    /// The negotiated profile and the SRTP master keys and salts, split per RFC 5764 4.2:
    /// client_write_key | server_write_key | client_write_salt | server_write_salt.
    func exportKeyingMaterial() throws -> SRTPKeyingMaterial {
        guard let selected = SSL_get_selected_srtp_profile(ssl) else {
            throw CryptoError("DTLS-SRTP", reason: "the peer negotiated no SRTP profile")
        }
        guard let profile = SRTPProfile(dtlsIdentifier: UInt(selected.pointee.id)) else {
            throw CryptoError(
                "DTLS-SRTP", reason: "unsupported SRTP profile \(selected.pointee.id)")
        }

        let keyLength = profile.keyLength
        let saltLength = profile.saltLength
        var material = [UInt8](repeating: 0, count: 2 * (keyLength + saltLength))
        defer { for index in material.indices { material[index] = 0 } }
        let label = Array(DTLSEndpoint.exporterLabel.utf8)
        let result = SSL_export_keying_material(
            ssl, &material, material.count, label, label.count, nil, 0, 0)
        guard result == 1 else { throw CryptoError("SSL_export_keying_material") }

        let clientKey = Array(material[0..<keyLength])
        let serverKey = Array(material[keyLength..<2 * keyLength])
        let saltStart = 2 * keyLength
        let clientSalt = Array(material[saltStart..<saltStart + saltLength])
        let serverSalt = Array(material[(saltStart + saltLength)...])
        let isClient = role == .client
        return SRTPKeyingMaterial(
            profile: profile,
            localKey: Secret(isClient ? clientKey : serverKey),
            localSalt: Secret(isClient ? clientSalt : serverSalt),
            remoteKey: Secret(isClient ? serverKey : clientKey),
            remoteSalt: Secret(isClient ? serverSalt : clientSalt))
    }
}

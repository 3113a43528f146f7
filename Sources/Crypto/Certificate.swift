import COpenSSL

/// A certificate and its private key, used as the local DTLS identity (RFC 8122).
///
/// Owns one `EVP_PKEY` and one `X509`; `deinit` frees both. Immutable after creation, so
/// it may be shared between threads and between many `DTLSContext`s.
public final class Certificate: @unchecked Sendable {
    let key: OpaquePointer
    let x509: OpaquePointer

    /// Takes ownership of `key` and `x509`.
    init(key: OpaquePointer, x509: OpaquePointer) {
        self.key = key
        self.x509 = x509
    }

    deinit {
        X509_free(x509)
        EVP_PKEY_free(key)
    }

    /// A new ECDSA P-256 key and a self-signed certificate for it, signed with SHA-256.
    ///
    /// - Parameters:
    ///   - commonName: the subject and issuer CN.
    ///   - subjectAltNames: DNS names ("localhost") or IP addresses ("127.0.0.1", "::1").
    ///   - validDays: days from now until `notAfter`; `notBefore` is one hour ago to
    ///     tolerate clock skew.
    public static func generateSelfSigned(
        commonName: String, subjectAltNames: [String] = [], validDays: Int = 365
    ) throws -> Certificate {
        guard validDays > 0 else {
            throw CryptoError("generating certificate", reason: "validDays must be positive")
        }
        let key = try generateP256Key()
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw CryptoError("X509_new")
        }
        let certificate = Certificate(key: key, x509: x509)

        try check(X509_set_version(x509, 2), "X509_set_version")
        try certificate.setRandomSerial()
        try check(X509_set_pubkey(x509, key), "X509_set_pubkey")
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x509), Int32(validDays), 0, nil) != nil
        else { throw CryptoError("setting certificate validity") }

        let name = X509_get_subject_name(x509)
        try check(
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0),
            "setting certificate common name")
        try check(X509_set_issuer_name(x509, name), "X509_set_issuer_name")
        if !subjectAltNames.isEmpty {
            try certificate.addSubjectAltNames(subjectAltNames)
        }

        guard X509_sign(x509, key, EVP_sha256()) > 0 else { throw CryptoError("X509_sign") }
        return certificate
    }

    /// The hash of the DER-encoded certificate, as an `a=fingerprint` carries it (RFC 8122 5).
    public func fingerprint(_ hash: HashFunction) -> [UInt8] {
        Certificate.fingerprint(of: x509, hash)
    }

    static func fingerprint(of x509: OpaquePointer, _ hash: HashFunction) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(x509, hash.evp, &out, &length) == 1 else { return [] }
        return Array(out[0..<Int(length)])
    }

    private static func generateP256Key() throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw CryptoError("EVP_PKEY_CTX_new_from_name(EC)")
        }
        defer { EVP_PKEY_CTX_free(context) }

        try check(EVP_PKEY_keygen_init(context), "EVP_PKEY_keygen_init")
        try check(EVP_PKEY_CTX_set_group_name(context, "P-256"), "selecting curve P-256")
        var key: OpaquePointer?
        try check(EVP_PKEY_generate(context, &key), "generating P-256 key")
        guard let key else { throw CryptoError("generating P-256 key") }
        return key
    }

    /// A random positive 127-bit serial number (RFC 5280 4.1.2.2 allows up to 20 octets).
    private func setRandomSerial() throws {
        var bytes = SecureRandom.bytes(16)
        bytes[0] &= 0x7F
        guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else {
            throw CryptoError("BN_bin2bn")
        }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil else {
            throw CryptoError("setting certificate serial number")
        }
    }

    private func addSubjectAltNames(_ names: [String]) throws {
        var entries: [String] = []
        for name in names {
            if let address = a2i_IPADDRESS(name) {
                ASN1_OCTET_STRING_free(address)
                entries.append("IP:" + name)
            } else if Certificate.isPlausibleDNSName(name) {
                entries.append("DNS:" + name)
            } else {
                throw CryptoError(
                    "adding subjectAltName \"\(name)\"",
                    reason: "neither an IP address nor a DNS name")
            }
        }
        guard let extensionValue = whoot_subject_alt_name(entries.joined(separator: ",")) else {
            throw CryptoError("building subjectAltName extension")
        }
        defer { X509_EXTENSION_free(extensionValue) }
        try Certificate.check(X509_add_ext(x509, extensionValue, -1), "X509_add_ext(SAN)")
    }

    /// Letters, digits, '-', '.', and a leading "*." wildcard; 1 to 253 characters.
    static func isPlausibleDNSName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                continue
            case UInt8(ascii: "*") where index == 0 && bytes.count > 2
                && bytes[1] == UInt8(ascii: "."):
                continue
            default:
                return false
            }
        }
        return true
    }

    static func check(_ result: Int32, _ operation: String) throws {
        guard result > 0 else { throw CryptoError(operation) }
    }
}

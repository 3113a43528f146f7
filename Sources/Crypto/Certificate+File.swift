extension Certificate {
    /// Reads the certificate and key PEM at `path`, or, if there is no such file, generates
    /// a self-signed one and stores it there with mode 0600 (see `KeyFile`). An existing
    /// file that group or others may read is refused, not used.
    public static func loadOrCreate(
        path: String, commonName: String, subjectAltNames: [String]
    ) throws -> Certificate {
        if let bytes = try KeyFile.read(path) {
            return try Certificate(pem: String(decoding: bytes.reveal, as: UTF8.self))
        }
        let certificate = try generateSelfSigned(
            commonName: commonName, subjectAltNames: subjectAltNames)
        try KeyFile.create(path, contents: Secret(Array(certificate.pem.reveal.utf8)))
        return certificate
    }
}

extension KeyDirectory {
    /// The certificate and key `name`: from the systemd credential, else keys/<name>,
    /// self-signed on first use.
    public func certificate(_ name: String, commonName: String, subjectAltNames: [String])
        throws -> Certificate
    {
        let pem = try material(name) {
            let fresh = try Certificate.generateSelfSigned(
                commonName: commonName, subjectAltNames: subjectAltNames)
            return Secret(Array(fresh.pem.reveal.utf8))
        }
        return try parsed(name) {
            try Certificate(pem: String(decoding: pem.reveal, as: UTF8.self))
        }
    }
}

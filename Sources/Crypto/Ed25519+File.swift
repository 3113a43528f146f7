extension Ed25519.PrivateKey {
    /// Reads the PEM key at `path`, or, if there is no such file and `create` is true,
    /// generates one and stores it there with mode 0600 (see `KeyFile`). A key file that
    /// group or others may read is refused.
    public static func loadOrCreate(path: String, create: Bool = true) throws
        -> Ed25519.PrivateKey
    {
        if let bytes = try KeyFile.read(path) {
            let text = String(decoding: bytes.reveal, as: UTF8.self)
            return try Ed25519.PrivateKey(pem: Secret(text))
        }
        guard create else {
            throw CryptoError("reading key file \(path)", reason: "no such file")
        }
        let key = try generate()
        try KeyFile.create(path, contents: Secret(Array(key.pem.reveal.utf8)))
        return key
    }
}

extension KeyDirectory {
    /// The Ed25519 signing key `name`: from the systemd credential, else keys/<name>,
    /// generated on first use.
    public func ed25519(_ name: String) throws -> Ed25519.PrivateKey {
        let pem = try material(name) {
            Secret(Array(try Ed25519.PrivateKey.generate().pem.reveal.utf8))
        }
        return try parsed(name) {
            try Ed25519.PrivateKey(pem: Secret(String(decoding: pem.reveal, as: UTF8.self)))
        }
    }
}

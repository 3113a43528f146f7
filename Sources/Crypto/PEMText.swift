import COpenSSL

/// PEM text in and out of OpenSSL, shared by certificates and Ed25519 keys.
enum PEMText {
    /// Runs `write` against a memory BIO and returns what it wrote. The secure variant
    /// keeps the bytes on OpenSSL's secure heap, and the copy made here is wiped after use.
    static func write(secure: Bool, _ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(secure ? BIO_s_secmem() : BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }

        let length = Int(whoot_BIO_ctrl_pending(bio))
        var buffer = [UInt8](repeating: 0, count: length)
        let read = BIO_read(bio, &buffer, Int32(length))
        let text = String(decoding: buffer[0..<max(0, Int(read))], as: UTF8.self)
        for index in buffer.indices { buffer[index] = 0 }
        return text
    }

    /// A passphrase callback that supplies none, so OpenSSL never prompts on a terminal.
    static let noPassphrase: @convention(c) (
        UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, _, _, _ in -1 }
}

import Crypto
import Foundation

/// Where whootd's keys come from: a systemd credential (`$CREDENTIALS_DIRECTORY/<name>`,
/// from LoadCredential= or LoadCredentialEncrypted=) when one is given, else a file under
/// `<state>/keys/` (directory 0700, files 0600), created on first use.
struct KeyStore {
    let directory: String
    let credentials: String?

    init(stateDirectory: String,
         environment: [String: String] = ProcessInfo.processInfo.environment) throws
    {
        directory = stateDirectory + "/keys"
        credentials = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
    }

    /// The path of credential `name` if systemd passed it, else nil.
    func credentialPath(_ name: String) -> String? {
        guard let credentials else { return nil }
        let path = credentials + "/" + name
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A certificate with its key: from the credential, else keys/<name> (made if missing).
    func certificate(_ name: String, commonName: String, subjectAltNames: [String]) throws
        -> Certificate
    {
        if let path = credentialPath(name) {
            return try Certificate(pem: String(contentsOfFile: path, encoding: .utf8))
        }
        return try Certificate.loadOrCreate(
            path: directory + "/" + name, commonName: commonName,
            subjectAltNames: subjectAltNames)
    }
}

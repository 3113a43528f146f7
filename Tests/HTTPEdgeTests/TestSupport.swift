import Foundation
import Testing

@testable import HTTPEdge

/// What a child process printed and how it ended.
struct ProcessResult {
    var status: Int32
    var stdoutBytes: [UInt8]
    var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    var stderr: String
}

/// Runs `/usr/bin/<tool>` with `arguments`, feeding `input` to stdin, and waits for it.
func runTool(_ tool: String, _ arguments: [String], input: [UInt8] = []) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()

    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    // Both pipes are drained at once so that neither can fill up and stall the child.
    let errors = DispatchQueue(label: "stderr-reader")
    let errorData = DataBox()
    errors.async { errorData.data = stderr.fileHandleForReading.readDataToEndOfFile() }
    let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    errors.sync {}

    return ProcessResult(
        status: process.terminationStatus,
        stdoutBytes: Array(outputData),
        stderr: String(decoding: errorData.data, as: UTF8.self))
}

/// Bytes handed from the stderr reader to the waiting thread (ordered by `errors.sync`).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// A fresh temporary directory, removed by the caller when done.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("httpedge-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A self-signed P-256 certificate for `localhost` and 127.0.0.1, made with the openssl CLI.
struct TestCertificate {
    var certificatePEM: String
    var privateKeyPEM: String
    /// The certificate as a file, for `curl --cacert`.
    var certificatePath: String

    /// One certificate shared by the tests that do not care which certificate they get.
    static let shared = try! TestCertificate.make()

    static func make() throws -> TestCertificate {
        let directory = try makeTemporaryDirectory()
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        let result = try runTool("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", "/CN=localhost", "-days", "1",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-keyout", key, "-out", certificate,
        ])
        guard result.status == 0 else {
            throw HTTPSServerError(.invalidConfiguration, "openssl failed: \(result.stderr)")
        }
        return TestCertificate(
            certificatePEM: try String(contentsOfFile: certificate, encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: key, encoding: .utf8),
            certificatePath: certificate)
    }
}

/// A server configuration on 127.0.0.1 with an ephemeral port and the shared certificate.
func testConfiguration(
    host: String = "127.0.0.1", certificate: TestCertificate = .shared
) -> HTTPSConfiguration {
    HTTPSConfiguration(
        host: host, port: 0,
        certificatePEM: certificate.certificatePEM,
        privateKeyPEM: certificate.privateKeyPEM,
        maxBodyBytes: 1024, connectionTimeoutSeconds: 5, threadPoolSize: 4)
}

/// The fields of an `HTTPRequest`, as the echo handler reports them.
struct Echo: Codable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: String
    var clientAddress: String
    var requestID: String
}

/// A handler that answers 200 with the request it received, as JSON.
func echoHandler(_ request: HTTPRequest) -> HTTPResponse {
    .json(200, Echo(
        method: request.method, path: request.path, query: request.query,
        headers: request.headers, body: String(decoding: request.body, as: UTF8.self),
        clientAddress: request.clientAddress, requestID: request.requestID))
}

/// One curl exchange: the status (0 when no response arrived), headers by lower-cased
/// name, body, and curl's exit code (35 is a TLS handshake failure, 7 a refused connect).
struct CurlResult {
    var status: Int
    var headers: [String: String]
    var body: String
    var exitCode: Int32

    func decodeEcho() throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(body.utf8))
    }
}

/// Sends one request with the curl CLI. Without `caFile`, the certificate is not checked.
func curl(
    _ url: String, method: String? = nil, headers: [String] = [], body: [UInt8]? = nil,
    extra: [String] = [], caFile: String? = nil
) throws -> CurlResult {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let headerFile = directory.appendingPathComponent("headers").path
    let bodyFile = directory.appendingPathComponent("body").path

    var arguments = ["-s", "--max-time", "10", "-D", headerFile, "-o", bodyFile,
                     "-w", "%{http_code}"]
    arguments += caFile.map { ["--cacert", $0] } ?? ["-k"]
    if let method { arguments += ["-X", method] }
    for header in headers { arguments += ["-H", header] }
    if body != nil { arguments += ["--data-binary", "@-"] }
    arguments += extra + [url]
    let result = try runTool("curl", arguments, input: body ?? [])

    let rawHeaders = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
    var parsed: [String: String] = [:]
    for line in rawHeaders.split(whereSeparator: \.isNewline) {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].lowercased()
        parsed[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return CurlResult(
        status: Int(result.stdout.trimmingCharacters(in: .whitespaces)) ?? 0,
        headers: parsed,
        body: (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? "",
        exitCode: result.status)
}

/// Starts a server, runs `body` with it and its base URL, and stops it.
func withServer<T>(
    _ configuration: HTTPSConfiguration = testConfiguration(),
    handler: @escaping (HTTPRequest) -> HTTPResponse = echoHandler,
    _ body: (HTTPSServer, String) throws -> T
) throws -> T {
    let server = HTTPSServer(configuration: configuration, handler: handler)
    try server.start()
    defer { server.stop() }
    let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
    return try body(server, "https://\(host):\(server.boundPort)")
}

/// A counter safe to bump from libmicrohttpd's worker threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private var highest = 0
    private var total = 0

    var count: Int { lock.withLock { total } }

    func enter() {
        lock.withLock {
            current += 1
            total += 1
            highest = max(highest, current)
        }
    }

    func leave() {
        lock.withLock { current -= 1 }
    }

    var peak: Int { lock.withLock { highest } }
}

/// The echo handler, counting its calls in `calls`.
func countingEchoHandler(_ calls: Counter) -> (HTTPRequest) -> HTTPResponse {
    { request in
        calls.enter()
        defer { calls.leave() }
        return echoHandler(request)
    }
}

/// A plain TCP connection to 127.0.0.1:`port` that waits at most 10 s for data. Throws
/// when the connection is refused.
func connectLoopback(port: UInt16) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var limit = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))

    let status = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard status == 0 else {
        let failure = POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        close(fd)
        throw failure
    }
    return fd
}

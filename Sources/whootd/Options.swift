import Foundation
import Crypto
import Relay

/// whootd's settings: defaults, then the configuration file (`--config`), then flags.
/// Every key is documented, with its default, in systemd/whootd.conf.
struct Options {
    var stateDirectory = "./state"
    var httpsHost = "127.0.0.1"
    var httpsPort: UInt16 = 8443
    var udpHost = "127.0.0.1"
    var udpPort: UInt16 = 3478
    var adminSocket = "/run/whoot/admin.sock"
    /// A group (gid) whose members may use the admin socket, besides root and our user.
    var adminGroup: UInt32? = nil
    /// The address put into ICE candidates; defaults to the UDP bind address.
    var candidateHost: String? = nil
    var logLevel = "info"
    var seedDemo = true
    /// A PEM file with the HTTPS certificate and key; self-signed under tls/ when unset.
    var tlsCertificate: String? = nil
    /// How long SIGTERM waits for live calls to end before cutting them, in seconds.
    var drainSeconds = 10
    /// Lifetime of join tokens issued through the HTTPS API, in seconds.
    var joinTokenTTLSeconds = 300
    var httpMaxBodyBytes = 64 * 1024
    var httpMaxConnections = 1000
    var httpConnectionTimeoutSeconds = 30
    var httpMaxConnectionsPerIP = 100
    /// How long an admin-socket connection may send nothing, or read none of its
    /// answers, before it is closed (seconds).
    var adminIdleTimeoutSeconds = 60
    /// Caps on live and still-connecting media sessions.
    var admission = AdmissionLimits()
    var configFile: String? = nil
    /// The database: nil for SQLite under the state directory (the default), or a
    /// PostgreSQL conninfo (`postgres://...`) of the application's role.
    var store: Secret<String>? = nil
    /// The conninfo of the role that owns the PostgreSQL schema, to migrate at start.
    var storeOwner: Secret<String>? = nil
    /// PostgreSQL connections serving transactions side by side (SQLite has one).
    var storePool = 4
    /// This node's public HTTPS base URL; with a PostgreSQL store it turns on several
    /// nodes per database (channel leases, join redirects).
    var nodeURL: String? = nil
    /// How long a channel lease lasts without renewal, in seconds.
    var leaseSeconds = 10
    /// How long a session's rejoin token stays valid after the session is lost, in seconds.
    var rejoinGraceSeconds = 60
    /// Origins (https:// base URLs) whose pages may call the WHIP endpoints (CORS).
    var allowedOrigins: [String] = []

    static let usage = """
        usage: whootd [--config FILE] [options]
          --config FILE          configuration file (key = value; see systemd/whootd.conf)
          --state-dir DIR        state directory (database, keys, TLS) [./state]
          --https HOST:PORT      HTTPS listen address [127.0.0.1:8443]
          --udp HOST:PORT        media UDP address [127.0.0.1:3478]
          --admin-socket PATH    admin Unix socket [/run/whoot/admin.sock]
          --candidate-ip IP      address announced in ICE candidates [the UDP host]
          --tls-certificate FILE PEM certificate and key for HTTPS [self-signed]
          --drain-seconds N      SIGTERM waits this long for calls to end [10]
          --join-token-ttl SECS  lifetime of join tokens from the HTTPS API [300]
          --node-url URL         this node's https:// base URL (several nodes, PostgreSQL)
          --log-level LEVEL      trace|debug|info|notice|warning|error [info]
          --no-demo              do not create the demo tenant
          --help                 this text
        Flags override the configuration file.
        """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads `--config` first (wherever it stands), then applies the other flags on top.
    /// Reads a configuration file as UTF-8 text, with errors that say what is wrong with it.
    static func readConfigurationFile(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError(description: "no such file")
        }
        guard !isDirectory.boolValue else { throw UsageError(description: "it is a directory") }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw UsageError(description: "it cannot be read (check its permissions)")
        }
        guard let text = String(validating: Array(bytes), as: UTF8.self) else {
            throw UsageError(description: "it is not UTF-8 text")
        }
        return text
    }

    static func parse(_ arguments: [String], readFile: (String) throws -> String) throws
        -> Options
    {
        var options = Options()
        if let index = arguments.firstIndex(of: "--config") {
            guard index + 1 < arguments.count else {
                throw UsageError(description: "--config needs a value")
            }
            let path = arguments[index + 1]
            options.configFile = path
            let text: String
            do {
                text = try readFile(path)
            } catch {
                throw UsageError(description: "cannot read configuration \(path): \(error)")
            }
            try options.apply(configuration: text, source: path)
        }
        try options.apply(flags: arguments)
        return options
    }

    /// Applies `key = value` lines; `#` starts a comment. Unknown keys are errors, so a
    /// typo cannot silently leave a default in force.
    mutating func apply(configuration text: String, source: String) throws {
        var seen = Set<String>()
        // "\r\n" is one Character in Swift: split on it too, or a CRLF file is one line.
        let lines = text.split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (number, rawLine) in lines.enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map(String.init)?.trimmed ?? ""
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw UsageError(description: "\(source):\(number + 1): expected key = value")
            }
            let key = String(line[..<equals]).trimmed
            var value = String(line[line.index(after: equals)...]).trimmed
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            do {
                guard seen.insert(key).inserted else {
                    throw UsageError(description: "\(key) is set twice")
                }
                try set(key, value)
            } catch let error as UsageError {
                throw UsageError(description: "\(source):\(number + 1): \(error.description)")
            }
        }
    }

    mutating func apply(flags arguments: [String]) throws {
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count else {
                throw UsageError(description: "\(flag) needs a value")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--config": _ = try value(flag)
            case "--no-demo": seedDemo = false
            case "--help", "-h": throw UsageError(description: Self.usage)
            default:
                guard !flag.isEmpty else {
                    throw UsageError(description: "an empty argument where an option belongs "
                        + "(argument \(index + 1))\n\(Self.usage)")
                }
                guard flag.hasPrefix("--"), let key = Self.flagKeys[flag] else {
                    throw UsageError(description: "unknown option \(flag)\n\(Self.usage)")
                }
                try set(key, try value(flag))
            }
            index += 1
        }
    }

    static let flagKeys = [
        "--state-dir": "state_dir", "--https": "https", "--udp": "udp",
        "--admin-socket": "admin_socket", "--candidate-ip": "candidate_ip",
        "--log-level": "log_level", "--tls-certificate": "tls_certificate",
        "--drain-seconds": "drain_seconds", "--join-token-ttl": "join_token_ttl",
        "--node-url": "node_url",
    ]

    mutating func set(_ key: String, _ value: String) throws {
        guard !value.isEmpty else {
            throw UsageError(description: "\(key) needs a value (remove the line for the default)")
        }
        switch key {
        case "state_dir": stateDirectory = value
        case "https": (httpsHost, httpsPort) = try Self.hostPort(value, key)
        case "udp": (udpHost, udpPort) = try Self.hostPort(value, key)
        case "admin_socket": adminSocket = value
        case "admin_group": adminGroup = try Self.number(value, key, in: 0...UInt32.max)
        case "candidate_ip":
            guard PeerAddress(host: value, port: 1) != nil else {
                throw UsageError(description: "\(key): \(value) is not an IP address")
            }
            candidateHost = value
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error"].contains(value) else {
                throw UsageError(description: "\(key): unknown level \(value)")
            }
            logLevel = value
        case "seed_demo":
            guard let flag = Bool(value) else {
                throw UsageError(description: "\(key) takes true or false")
            }
            seedDemo = flag
        case "tls_certificate": tlsCertificate = value
        case "drain_seconds": drainSeconds = try Self.number(value, key, in: 0...3600)
        case "join_token_ttl": joinTokenTTLSeconds = try Self.number(value, key, in: 1...3600)
        case "http_max_body_bytes":
            httpMaxBodyBytes = try Self.number(value, key, in: 1024...(16 << 20))
        case "http_max_connections":
            httpMaxConnections = try Self.number(value, key, in: 1...100_000)
        case "http_connection_timeout":
            httpConnectionTimeoutSeconds = try Self.number(value, key, in: 1...3600)
        case "admin_idle_timeout":
            adminIdleTimeoutSeconds = try Self.number(value, key, in: 1...3600)
        case "http_max_connections_per_ip":
            httpMaxConnectionsPerIP = try Self.number(value, key, in: 1...100_000)
        case "max_sessions_per_tenant":
            admission.sessionsPerTenant = try Self.number(value, key, in: 1...1_000_000)
        case "max_sessions_per_channel":
            admission.sessionsPerChannel = try Self.number(value, key, in: 1...100_000)
        case "max_pending_sessions":
            admission.pendingSessions = try Self.number(value, key, in: 1...1_000_000)
        case "max_pending_sessions_per_ip":
            admission.pendingPerOrigin = try Self.number(value, key, in: 1...100_000)
        case "node_url":
            guard value.hasPrefix("https://") else {
                throw UsageError(description: "\(key) takes an https:// URL")
            }
            nodeURL = value
        case "lease_seconds": leaseSeconds = try Self.number(value, key, in: 2...300)
        case "store_pool": storePool = try Self.number(value, key, in: 1...64)
        case "rejoin_grace_seconds":
            rejoinGraceSeconds = try Self.number(value, key, in: 10...3_600)
        case "allowed_origins":
            let origins = value.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            for origin in origins where CrossOrigin.normalise(origin) == nil {
                throw UsageError(
                    description: "\(key): \(origin) is not an https:// origin (scheme://host:port)")
            }
            allowedOrigins = origins
        case "store", "store_owner":
            let postgres = value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
            guard postgres || (key == "store" && value == "sqlite") else {
                throw UsageError(
                    description: "\(key) takes sqlite or a postgres:// URI (value not shown)")
            }
            let secret = postgres ? Secret(value) : nil
            if key == "store" { store = secret } else { storeOwner = secret }
        default:
            let shown = key.count > 64 ? String(key.prefix(64)) + "..." : key
            throw UsageError(description: "unknown setting \(shown)")
        }
    }

    static func number<T: FixedWidthInteger>(
        _ text: String, _ key: String, in range: ClosedRange<T>
    )
        throws -> T
    {
        guard let value = T(text), range.contains(value) else {
            throw UsageError(
                description: "\(key) takes a whole number from \(range.lowerBound) to "
                    + "\(range.upperBound)")
        }
        return value
    }

    /// Splits "HOST:PORT" or "[V6]:PORT".
    static func hostPort(_ text: String, _ key: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"),
            let port = UInt16(text[text.index(after: colon)...])
        else {
            throw UsageError(description: "\(key) takes HOST:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard PeerAddress(host: host, port: port) != nil else {
            throw UsageError(description: "\(key): \(host) is not an IP address")
        }
        return (host, port)
    }
}

extension String {
    var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" {
            scalars = scalars.dropFirst()
        }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" {
            scalars = scalars.dropLast()
        }
        return String(scalars)
    }
}

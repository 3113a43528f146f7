import Relay

/// whootd's command line. Every flag has a default that runs a local development
/// instance; production runs set them in the unit file or the configuration file.
struct Options {
    var stateDirectory = "./state"
    var httpsHost = "127.0.0.1"
    var httpsPort: UInt16 = 8443
    var udpHost = "127.0.0.1"
    var udpPort: UInt16 = 3478
    var adminSocket = "/run/whoot/admin.sock"
    /// The address put into ICE candidates; defaults to the UDP bind address.
    var candidateHost: String? = nil
    var logLevel = "info"
    var joinTokenTTLSeconds = 300
    var seedDemo = true

    static let usage = """
        usage: whootd [options]
          --state-dir DIR        state directory (database, keys, TLS) [./state]
          --https HOST:PORT      HTTPS listen address [127.0.0.1:8443]
          --udp HOST:PORT        media UDP address [127.0.0.1:3478]
          --admin-socket PATH    admin Unix socket [/run/whoot/admin.sock]
          --candidate-ip IP      address announced in ICE candidates [the UDP host]
          --join-token-ttl SECS  lifetime of join tokens [300]
          --log-level LEVEL      trace|debug|info|notice|warning|error [info]
          --no-demo              do not create the demo tenant
          --help                 this text
        """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--state-dir": options.stateDirectory = try value(flag)
            case "--https":
                (options.httpsHost, options.httpsPort) = try hostPort(try value(flag), flag)
            case "--udp":
                (options.udpHost, options.udpPort) = try hostPort(try value(flag), flag)
            case "--admin-socket": options.adminSocket = try value(flag)
            case "--candidate-ip": options.candidateHost = try value(flag)
            case "--log-level": options.logLevel = try value(flag)
            case "--join-token-ttl":
                guard let ttl = Int(try value(flag)), ttl > 0, ttl <= 86_400 else {
                    throw UsageError(description: "--join-token-ttl takes 1 to 86400 seconds")
                }
                options.joinTokenTTLSeconds = ttl
            case "--no-demo": options.seedDemo = false
            case "--help", "-h": throw UsageError(description: usage)
            default: throw UsageError(description: "unknown option \(flag)\n\(usage)")
            }
            index += 1
        }
        return options
    }

    /// Splits "HOST:PORT" or "[V6]:PORT".
    static func hostPort(_ text: String, _ flag: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"),
            let port = UInt16(text[text.index(after: colon)...])
        else {
            throw UsageError(description: "\(flag) takes HOST:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard PeerAddress(host: host, port: port) != nil else {
            throw UsageError(description: "\(flag): \(host) is not an IP address")
        }
        return (host, port)
    }
}

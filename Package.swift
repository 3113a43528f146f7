// swift-tools-version:6.0
import PackageDescription

/// Targets written in Swift 5 language mode for now: the C interop layers hand raw
/// pointers across threads, and full Swift 6 isolation checking is a later step.
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v5)]

func system(_ name: String, _ pkg: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkg, providers: [.apt([apt])])
}

let package = Package(
    name: "whoot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "whootd", targets: ["whootd"]),
        .executable(name: "whootctl", targets: ["whootctl"]),
    ],
    targets: [
        system("COpenSSL", "openssl", apt: "libssl-dev"),
        system("CSRTP", "libsrtp2", apt: "libsrtp2-dev"),
        system("COpus", "opus", apt: "libopus-dev"),
        system("CSQLite", "sqlite3", apt: "libsqlite3-dev"),
        system("CMicroHTTPD", "libmicrohttpd", apt: "libmicrohttpd-dev"),
        system("CArgon2", "libargon2", apt: "libargon2-dev"),
        system("COgg", "ogg", apt: "libogg-dev"),
        system("CQRencode", "libqrencode", apt: "libqrencode-dev"),
        system("CPostgres", "libpq", apt: "libpq-dev"),
        .target(name: "CLinux"),
        .target(
            name: "CSQLiteCrypt", dependencies: ["CSQLite", "COpenSSL"],
            linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("crypto")]),
        .target(name: "Logging", swiftSettings: swiftSettings),

        .target(name: "Wire", dependencies: ["Crypto"], swiftSettings: swiftSettings),
        .target(
            name: "Crypto", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(
            name: "Store",
            dependencies: ["CSQLite", "CSQLiteCrypt", "CPostgres", "Crypto", "Wire", "Logging"],
            swiftSettings: swiftSettings),
        .target(
            name: "Control",
            dependencies: ["Store", "Wire", "Crypto", "CArgon2", "CQRencode", "Logging"],
            swiftSettings: swiftSettings),
        .target(
            name: "Relay", dependencies: ["Wire", "Crypto", "CLinux", "Logging"],
            swiftSettings: swiftSettings),
        .target(
            name: "HTTPEdge", dependencies: ["CMicroHTTPD"],
            swiftSettings: swiftSettings),
        .target(
            name: "Admin", dependencies: ["Control", "Store", "Wire", "Crypto", "CLinux"],
            swiftSettings: swiftSettings),
        .target(
            name: "ControlAPI",
            dependencies: ["Control", "Store", "Wire", "Crypto", "HTTPEdge", "Admin", "Logging"],
            swiftSettings: swiftSettings),
        .target(
            name: "Recording",
            dependencies: ["COgg", "COpus", "Crypto", "Store", "Control", "Wire", "Logging"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "whootd",
            dependencies: [
                "Wire", "Crypto", "Relay", "Store", "Control", "HTTPEdge", "Admin", "Logging",
                "ControlAPI",
                "Recording",
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "whootctl", dependencies: ["Admin", "Control", "Crypto"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "AuditExportBench", dependencies: ["Control", "Store", "Crypto", "Wire"],
            path: "Benchmarks/AuditExportBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "whoot-sql", dependencies: ["Store"], path: "Tests/Tools/WhootSQL",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "SRTPBench", dependencies: ["Crypto", "TestKit", "CAllocCounter"],
            path: "Benchmarks/SRTPBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "LoadGen", dependencies: ["TestKit", "Wire", "Crypto", "CLoadGen"],
            path: "Benchmarks/LoadGen", swiftSettings: swiftSettings),
        .target(name: "CLoadGen", path: "Benchmarks/CLoadGen"),
        .target(
            name: "TestKit", dependencies: ["Wire", "Crypto", "CSRTP"], path: "Tests/TestKit",
            swiftSettings: swiftSettings),
        .target(name: "CAllocCounter", path: "Tests/CAllocCounter"),

        .testTarget(
            name: "WireTests", dependencies: ["Wire", "Crypto", "TestKit"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "CryptoTests", dependencies: ["Crypto", "TestKit"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RelayTests",
            dependencies: ["Relay", "Wire", "Crypto", "TestKit", "CAllocCounter"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ControlTests", dependencies: ["Control", "Store", "Wire", "Crypto", "TestKit"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPEdgeTests", dependencies: ["HTTPEdge", "TestKit"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ControlAPITests",
            dependencies: ["ControlAPI", "Control", "Store", "Wire", "Crypto", "HTTPEdge", "Admin"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "ControlBench", dependencies: ["Control", "Store", "Wire", "Crypto"],
            path: "Benchmarks/ControlBench", swiftSettings: swiftSettings),
        .testTarget(
            name: "CSQLiteCryptTests", dependencies: ["CSQLiteCrypt", "CSQLite"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AdminTests", dependencies: ["Admin", "Control", "Store", "Wire", "TestKit"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RecordingTests",
            dependencies: ["Recording", "Control", "Store", "Wire", "Crypto", "COpus", "TestKit"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "StoreBackendBench", dependencies: ["Control", "Store", "Crypto", "Wire"],
            path: "Benchmarks/StoreBackendBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "RecordingBench", dependencies: [
                "Recording", "Relay", "Control", "Store", "Wire", "Crypto", "COpus",
            ],
            path: "Benchmarks/RecordingBench", swiftSettings: swiftSettings),
    ]
)

/// Fuzz targets (Tests/Fuzz, docs/fuzzing.md): one executable per parser of outside input.
/// A plain build makes corpus replayers; scripts/fuzz.sh rebuilds them under libFuzzer.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("STUN", ["Wire"]), ("RTP", ["Wire"]), ("RTCP", ["Wire"]), ("SDP", ["Wire", "Crypto"]),
    ("DTLS", ["Wire", "Crypto"]), ("Admin", ["Admin", "Control", "Store"]),
    ("WHIP", ["HTTPEdge", "Control", "Store", "Wire", "Crypto"]),
    ("Recording", ["Recording", "Crypto", "Wire", "COpus"]),
    ("AuditExport", ["Control", "Store", "Crypto", "Wire"]),
    ("APIBody", ["ControlAPI", "Admin", "Control", "Store", "Crypto", "HTTPEdge"]),
]
package.targets += [
    .target(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
    .target(
        name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Tests/Fuzz/Support",
        swiftSettings: swiftSettings),
] + fuzzTargets.map { target in
    .executableTarget(
        name: "Fuzz\(target.name)", dependencies: ["FuzzSupport"] + target.dependencies,
        path: "Tests/Fuzz/\(target.name)", swiftSettings: swiftSettings)
}

import Foundation

/// Debian's Janus (1.1.x), started for one scenario as a child process with a configuration
/// of our own in a temporary directory: ICE-lite on 127.0.0.1 only, no STUN/TURN, an RTP port
/// range, the HTTP transport alone on a loopback port (no admin API), the VideoRoom plugin
/// alone, no event handlers or loggers, no session timeout, and 2 shared event loops (one
/// per core; by default every handle gets a thread of its own, which with 2,000 handles
/// costs Janus more than a core before any packet flows).
///
/// Janus skips loopback interfaces when it gathers candidates (ice.c checks IFF_LOOPBACK), so
/// on its own it would only offer this machine's other addresses. To keep all traffic on
/// 127.0.0.1, Janus runs with a small LD_PRELOAD library, compiled here with cc, whose
/// getifaddrs() reports `lo` without the IFF_LOOPBACK flag; the ICE enforce list then keeps
/// 127.0.0.1 alone. Nothing else in Janus is changed.
final class Janus {
    let process = Process()
    let work: String
    let httpPort: UInt16

    init(binary: String = "/usr/bin/janus", instance: Int) throws {
        work = NSTemporaryDirectory() + "whoot-loadgen-janus-\(getpid())-\(instance)"
        try? FileManager.default.removeItem(atPath: work)
        for folder in ["conf", "plugins", "transports", "events", "loggers"] {
            try FileManager.default.createDirectory(
                atPath: "\(work)/\(folder)", withIntermediateDirectories: true)
        }
        httpPort = freePort(SOCK_STREAM)
        let library = "/usr/lib/x86_64-linux-gnu/janus"
        try FileManager.default.createSymbolicLink(
            atPath: "\(work)/plugins/libjanus_videoroom.so",
            withDestinationPath: "\(library)/plugins/libjanus_videoroom.so")
        try FileManager.default.createSymbolicLink(
            atPath: "\(work)/transports/libjanus_http.so",
            withDestinationPath: "\(library)/transports/libjanus_http.so")
        try writeConfiguration()
        let shim = try compileLoopbackShim()

        process.setCommand(binary, ["-F", "\(work)/conf", "-C", "\(work)/conf/janus.jcfg"])
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = shim
        process.environment = environment
        _ = FileManager.default.createFile(atPath: "\(work)/janus.log", contents: nil)
        let log = FileHandle(forWritingAtPath: "\(work)/janus.log")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try waitUntilReady()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        if ProcessInfo.processInfo.environment["LOADGEN_KEEP_JANUS"] == nil {
            try? FileManager.default.removeItem(atPath: work)
        }
    }

    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let _ = try? HTTPConnection(port: httpPort).request("GET", "/janus/info") {
                return
            }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: "\(work)/janus.log", encoding: .utf8)) ?? ""
        throw LoadGenError("Janus did not answer on 127.0.0.1:\(httpPort): \(log.suffix(600))")
    }

    private func writeConfiguration() throws {
        let core = """
            general: {
                configs_folder = "\(work)/conf"
                plugins_folder = "\(work)/plugins"
                transports_folder = "\(work)/transports"
                events_folder = "\(work)/events"
                loggers_folder = "\(work)/loggers"
                debug_level = \(ProcessInfo.processInfo.environment["LOADGEN_JANUS_DEBUG"] ?? "3")
                session_timeout = 0
                event_loops = 2
                interface = "127.0.0.1"
                server_name = "whoot-loadgen"
            }
            certificates: {
            }
            media: {
                ipv6 = false
                rtp_port_range = "20000-60000"
            }
            nat: {
                ice_lite = true
                ice_tcp = false
                full_trickle = false
                ice_enforce_list = "127.0.0.1"
                nice_debug = \(ProcessInfo.processInfo.environment["LOADGEN_NICE_DEBUG"] ?? "false")
            }
            plugins: {
            }
            transports: {
            }
            loggers: {
            }
            events: {
                broadcast = false
            }
            """
        let http = """
            general: {
                json = "plain"
                base_path = "/janus"
                http = true
                ip = "127.0.0.1"
                port = \(httpPort)
                https = false
            }
            admin: {
                admin_http = false
                admin_https = false
            }
            """
        try core.write(toFile: "\(work)/conf/janus.jcfg", atomically: true, encoding: .utf8)
        try http.write(
            toFile: "\(work)/conf/janus.transport.http.jcfg", atomically: true, encoding: .utf8)
        try "general: {\n}\n".write(
            toFile: "\(work)/conf/janus.plugin.videoroom.jcfg", atomically: true,
            encoding: .utf8)
    }

    /// Builds the getifaddrs() interposer described above; returns the library's path.
    private func compileLoopbackShim() throws -> String {
        let source = """
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <ifaddrs.h>
            #include <net/if.h>
            #include <stddef.h>
            /* getifaddrs() as libc has it, with IFF_LOOPBACK cleared on every entry. */
            int getifaddrs(struct ifaddrs **list) {
                int (*next)(struct ifaddrs **) =
                    (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
                int result = next(list);
                if (result != 0) return result;
                for (struct ifaddrs *entry = *list; entry != NULL; entry = entry->ifa_next)
                    entry->ifa_flags &= ~IFF_LOOPBACK;
                return 0;
            }
            """
        try source.write(toFile: "\(work)/loopback.c", atomically: true, encoding: .utf8)
        _ = try run("/usr/bin/cc", [
            "-shared", "-fPIC", "-O2", "-o", "\(work)/loopback.so", "\(work)/loopback.c", "-ldl",
        ])
        return "\(work)/loopback.so"
    }
}

extension Janus: RelayUnderTest {
    var kind: RelayKind { .janus }
    var stats: ProcessStats { ProcessStats(pid: process.processIdentifier) }
}

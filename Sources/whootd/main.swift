import Admin
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

setvbuf(stdout, nil, _IOLBF, 0)
// Every file whootd creates (database, keys, recordings) is private to its user.
umask(0o077)

let options: Options
do {
    let arguments = try ProcessArguments.current()
    options = try Options.parse(
        Array(arguments.dropFirst()), readFile: Options.readConfigurationFile)
} catch {
    FileHandle.standardError.write(Data("whootd: \(error)\n".utf8))
    exit(2)
}
if let level = LogLevel(name: options.logLevel) {
    Logger.setLevel(level)
}

// Signals are taken synchronously on the main thread; every other thread blocks them.
var signals = sigset_t()
sigemptyset(&signals)
for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
pthread_sigmask(SIG_BLOCK, &signals, nil)
signal(SIGPIPE, SIG_IGN)

let daemon = Daemon(options: options)
do {
    try daemon.start()
} catch {
    FileHandle.standardError.write(Data("whootd: cannot start: \(error)\n".utf8))
    daemon.stop()
    exit(1)
}

while true {
    var received: Int32 = 0
    sigwait(&signals, &received)
    if received == SIGHUP {
        daemon.reload()
        continue
    }
    break
}
daemon.drainAndStop()
exit(0)

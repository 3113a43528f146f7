import Foundation
import Testing

@testable import HTTPEdge

/// Drives the built-in page in headless Chromium (when installed) against the real server.
@Suite struct HeadlessPageTests {
    static let chromium = "/usr/bin/chromium"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: chromium)))
    func autojoinPostsOfferWithTokenAndFourAudioSections() throws {
        let offers = OfferLog()
        var router = Router()
        router.add("GET", "/") { _, _ in .html(StaticPage.indexHTML) }
        router.add("POST", "/whip") { request, _ in
            offers.add(request)
            return .error(403, "join token rejected by test")
        }
        let profile = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }

        var configuration = testConfiguration()
        configuration.maxBodyBytes = 64 * 1024
        try withServer(configuration, handler: router.handle) { _, base in
            let browser = Process()
            browser.executableURL = URL(fileURLWithPath: Self.chromium)
            browser.arguments = [
                "--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--user-data-dir=" + profile.path, base + "/#token=tok123&autojoin=1",
            ]
            browser.standardOutput = FileHandle.nullDevice
            browser.standardError = FileHandle.nullDevice
            try browser.run()
            defer {
                browser.terminate()
                browser.waitUntilExit()
            }

            let deadline = Date().addingTimeInterval(30)
            while offers.first == nil, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }

        let offer = try #require(offers.first)
        let sdp = String(decoding: offer.body, as: UTF8.self)
        #expect(offer.header("authorization") == "Bearer tok123")
        #expect(offer.header("content-type") == "application/sdp")
        #expect(sdp.components(separatedBy: "m=audio").count - 1 == 4)
        #expect(sdp.components(separatedBy: "a=recvonly").count - 1 == 3)
        #expect(sdp.contains("a=sendrecv"))
    }
}

/// Requests the fake WHIP endpoint saw, recorded from worker threads.
private final class OfferLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [HTTPRequest] = []

    func add(_ request: HTTPRequest) {
        lock.withLock { requests.append(request) }
    }

    var first: HTTPRequest? { lock.withLock { requests.first } }
}

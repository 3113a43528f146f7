import Foundation
import Testing

@testable import HTTPEdge

@Suite struct StaticPageTests {
    /// `'sha256-<base64>'` of `text`, computed with the openssl CLI.
    private func cspHash(_ text: String) throws -> String {
        let digest = try runTool(
            "openssl", ["dgst", "-sha256", "-binary"], input: Array(text.utf8))
        try #require(digest.stdoutBytes.count == 32)
        return "'sha256-" + Data(digest.stdoutBytes).base64EncodedString() + "'"
    }

    @Test func inlineScriptAndStyleMatchTheHashesInThePolicy() throws {
        let script = try cspHash(StaticPage.script)
        let style = try cspHash(StaticPage.style)

        #expect(script == StaticPage.scriptHash, "update StaticPage.scriptHash to \(script)")
        #expect(style == StaticPage.styleHash, "update StaticPage.styleHash to \(style)")
        #expect(StaticPage.indexHTML.contains("<script>" + StaticPage.script + "</script>"))
        #expect(StaticPage.indexHTML.contains("<style>" + StaticPage.style + "</style>"))
    }

    @Test func pageLoadsNothingFromElsewhere() {
        let page = StaticPage.indexHTML

        #expect(!page.contains("http://"))
        #expect(!page.contains("https://"))
        #expect(!page.contains("src="))
        #expect(!page.contains("style=\""))
    }

    @Test func pageImplementsTheWHIPJoinFlow() {
        let script = StaticPage.script

        for needle in [
            "location.hash", "\"token\"", "\"autojoin\"", "getUserMedia({ audio: true })",
            "iceServers: []", "direction: \"recvonly\"", "i < 3", "\"/whip\"",
            "\"Bearer \" + token", "\"application/sdp\"", "iceGatheringState", "2000",
            "method: \"DELETE\"", "window.whootState", "body.error",
        ] {
            #expect(script.contains(needle), "script lacks \(needle)")
        }
    }

    @Test func servedPageCarriesAPolicyThatAdmitsItsScript() throws {
        try withServer(handler: { _ in .html(StaticPage.indexHTML) }) { _, base in
            let result = try curl(base + "/")

            #expect(result.status == 200)
            #expect(result.headers["content-type"] == "text/html; charset=utf-8")
            let policy = try #require(result.headers["content-security-policy"])
            #expect(policy.contains("script-src " + StaticPage.scriptHash))
            #expect(policy.contains("connect-src 'self'"))
            #expect(result.body == StaticPage.indexHTML)
        }
    }
}

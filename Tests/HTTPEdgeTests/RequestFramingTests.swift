import Testing

@testable import HTTPEdge

/// Heads a proxy could frame differently from libmicrohttpd are refused (RFC 9112).
@Suite struct RequestFramingTests {
    private func check(_ fields: [(String, String)]) -> FramingProblem? {
        FramingProblem.check(fields.map { (name: $0.0, value: $0.1) })
    }

    @Test func ordinaryHeadsPass() {
        #expect(check([("Host", "x"), ("Content-Length", "5")]) == nil)
        #expect(check([("Host", "x"), ("transfer-encoding", " Chunked ")]) == nil)
        #expect(check([("X-Weird_Name!", "v"), ("Accept", "*/*")]) == nil)
    }

    @Test func twoLengthsOrALengthBesideAnEncodingAreReadThenRefused() {
        let twice = check([("Content-Length", "5"), ("content-LENGTH", "5")])
        #expect(twice?.status == 400 && twice?.readBodyFirst == true)
        let both = check([("Content-Length", "5"), ("Transfer-Encoding", "chunked")])
        #expect(both?.status == 400 && both?.readBodyFirst == true)
    }

    @Test func encodingsOtherThanOneFinalChunkedAreRefusedAtOnce() {
        for value in ["identity", "chunked, gzip", "chunked, chunked", "chunked,chunked"] {
            let problem = check([("Transfer-Encoding", value)])
            #expect(problem?.status == 400 && problem?.readBodyFirst == false, "\(value)")
        }
        let gzip = check([("Transfer-Encoding", "gzip, chunked")])
        #expect(gzip?.status == 501)
        let twice = check([("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")])
        #expect(twice?.status == 400)
    }

    @Test func namesThatAreNotTokensOrFoldedFramingNamesAreRefused() {
        #expect(check([("Content-Length ", "5")])?.status == 400)
        #expect(check([("X Pad", "5")])?.status == 400)
        #expect(check([("", "5")])?.status == 400)
        // libmicrohttpd 0.9.75 turns "Content-Length:\r\n 5" into a name "Content-Length5".
        let folded = check([("Content-Length5", "")])
        #expect(folded?.status == 400 && folded?.message.contains("Content-Length5") == true)
        #expect(check([("Transfer-Encodingchunked", "")])?.status == 400)
    }
}

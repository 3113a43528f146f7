import Testing
import Wire

@Suite struct SDPFuzzTests {
    /// 2,000 seeded mutations of the fixtures: each either yields an answer that parses back
    /// or throws an SDPError; nothing crashes and no other error escapes.
    @Test func mutatedOffersNeverCrash() throws {
        var random = SeededGenerator(state: 0x5EED)
        let fixtures = try [SDPFixtures.chromium, SDPFixtures.aiortc].map {
            Array(try SDPFixtures.text($0).utf8)
        }
        let alphabet = Array(" :;/=\r\n0123456789abcdefmopsvAZ-\u{7}".utf8) + [0xC3, 0xFF]
        var answered = 0

        for round in 0..<2000 {
            var bytes = fixtures[round % 2]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                case 2: bytes[at] = alphabet.randomElement(using: &random)!
                case 3: bytes.removeSubrange(at...)
                default:
                    let end = min(bytes.count, at + Int.random(in: 1...80, using: &random))
                    bytes.insert(contentsOf: bytes[at..<end], at: at)
                }
                if bytes.isEmpty { bytes = [0x76] }
            }

            let text = String(decoding: bytes, as: UTF8.self)
            do {
                let session = try SDPFixtures.negotiate(text)
                _ = try SessionDescription.parse(session.answer)
                answered += 1
            } catch is SDPError {
                continue
            }
        }
        #expect(answered > 100, "mutations should leave many offers answerable")
    }
}

import Testing

@Test func CryptoTestsBuilds() { #expect(Bool(true)) }

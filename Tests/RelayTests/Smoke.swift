import Testing

@Test func RelayTestsBuilds() { #expect(Bool(true)) }

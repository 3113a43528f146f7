import Testing

@Test func WireTestsBuilds() { #expect(Bool(true)) }

import Testing

@Test func HTTPEdgeTestsBuilds() { #expect(Bool(true)) }

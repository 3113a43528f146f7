import Testing

@Test func AdminTestsBuilds() { #expect(Bool(true)) }

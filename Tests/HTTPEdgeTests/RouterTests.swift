import Testing

@testable import HTTPEdge

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router()
        router.add("GET", "/") { _, _ in .html(StaticPage.indexHTML) }
        router.add("POST", "/whip") { _, _ in .text(201, "offer taken") }
        router.add("DELETE", "/whip/:session") { _, params in
            .text(200, "deleted " + (params["session"] ?? ""))
        }
        router.add("PATCH", "/whip/:session") { _, _ in .text(204, "") }
        router.add("GET", "/t/:tenant/c/:channel") { _, params in
            .text(200, (params["tenant"] ?? "") + "|" + (params["channel"] ?? ""))
        }
        return router
    }

    @Test func parametersAreCapturedFromPath() {
        let response = router().handle(HTTPRequest(method: "GET", path: "/t/acme/c/lobby"))

        #expect(response.status == 200)
        #expect(response.body == Array("acme|lobby".utf8))
    }

    @Test func unknownPathIs404JSONError() {
        let response = router().handle(HTTPRequest(method: "GET", path: "/whip/a/b"))

        #expect(response.status == 404)
        #expect(response.header("content-type") == "application/json")
    }

    @Test func wrongMethodIs405ListingEveryAllowedMethod() {
        let response = router().handle(HTTPRequest(method: "GET", path: "/whip/xyz"))

        #expect(response.status == 405)
        #expect(response.header("Allow") == "DELETE, PATCH")
    }

    @Test func headFallsBackToGetAndGetImpliesHeadInAllow() {
        let head = router().handle(HTTPRequest(method: "HEAD", path: "/"))
        let post = router().handle(HTTPRequest(method: "POST", path: "/"))

        #expect(head.status == 200)
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
    }

    @Test func firstMatchingRouteWins() {
        var router = Router()
        router.add("GET", "/x/special") { _, _ in .text(200, "literal") }
        router.add("GET", "/x/:name") { _, _ in .text(200, "param") }

        let special = router.handle(HTTPRequest(method: "GET", path: "/x/special"))
        let other = router.handle(HTTPRequest(method: "GET", path: "/x/other"))

        #expect(special.body == Array("literal".utf8))
        #expect(other.body == Array("param".utf8))
    }
}

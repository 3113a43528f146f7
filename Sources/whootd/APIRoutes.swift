import ControlAPI
import HTTPEdge
import Relay

/// The HTTPS API's routes. Each handler runs on an HTTP server thread.
struct APIRoutes: Sendable {
    let router: Router

    init(whip: WHIPService, relay: Relay, joinTokenTTLSeconds: Int = 300) {
        var router = Router()
        router.add("GET", "/") { _, _ in .html(StaticPage.indexHTML) }
        router.add("GET", "/healthz") { _, _ in .json(200, rawJSON: #"{"status":"ok"}"#) }
        router.add("POST", "/whip") { request, _ in whip.post(request) }
        router.add("DELETE", "/whip/:id") { _, params in whip.delete(params["id"] ?? "") }
        ControlRoutes(control: whip.control, joinTokenTTLSeconds: joinTokenTTLSeconds)
            .register(on: &router)
        self.router = router
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        router.handle(request)
    }
}

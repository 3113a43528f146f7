import Control
import HTTPEdge
import Recording
import Relay

/// The HTTPS API's routes. Each handler runs on an HTTP server thread.
struct APIRoutes: Sendable {
    let router: Router

    init(whip: WHIPService, relay: Relay, control: ControlPlane, recording: RecordingService) {
        var router = Router()
        router.add("GET", "/") { _, _ in .html(StaticPage.indexHTML) }
        router.add("GET", "/healthz") { _, _ in .json(200, rawJSON: #"{"status":"ok"}"#) }
        router.add("POST", "/whip") { request, _ in whip.post(request) }
        router.add("DELETE", "/whip/:id") { _, params in whip.delete(params["id"] ?? "") }
        registerRecordingRoutes(&router, control: control, service: recording)
        self.router = router
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        router.handle(request)
    }
}

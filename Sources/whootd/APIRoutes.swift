import ControlAPI
import Control
import HTTPEdge
import Recording
import Relay

/// The HTTPS API's routes. Each handler runs on an HTTP server thread.
struct APIRoutes: Sendable {
    let router: Router

    init(
        whip: WHIPService, relay: Relay, control: ControlPlane, recording: RecordingService,
        metrics: MetricsRenderer, joinTokenTTLSeconds: Int = 300,
        cors: CrossOrigin = CrossOrigin(allowed: [])
    ) {
        var router = Router()
        let pagePolicy = SecurityHeaders.contentSecurityPolicy(
            connectingTo: cors.allowed.sorted())
        router.add("GET", "/") { _, _ in
            var page = HTTPResponse.html(StaticPage.indexHTML)
            page.headers.append(("Content-Security-Policy", pagePolicy))
            return page
        }
        router.add("GET", "/healthz") { _, _ in .json(200, rawJSON: #"{"status":"ok"}"#) }
        router.add("GET", "/metrics") { request, _ in
            // Counters only, no tenant data; still, only scrapers on this host may read them.
            guard Self.isLoopback(request.clientAddress) else {
                return .error(403, "metrics are served to loopback clients only")
            }
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")],
                body: Array(metrics.render().utf8))
        }
        router.add("POST", "/whip") { request, _ in
            cors.decorate(whip.post(request), for: request)
        }
        router.add("GET", "/whip/route") { request, _ in
            cors.decorate(whip.route(request), for: request)
        }
        router.add("DELETE", "/whip/:id") { request, params in
            cors.decorate(whip.delete(request, id: params["id"] ?? ""), for: request)
        }
        router.add("OPTIONS", "/whip") { request, _ in cors.preflight(request) }
        router.add("OPTIONS", "/whip/:id") { request, _ in cors.preflight(request) }
        ControlRoutes(control: whip.control, joinTokenTTLSeconds: joinTokenTTLSeconds)
            .register(on: &router)
        AuditAPI.register(&router, control: control)
        registerRecordingRoutes(&router, control: control, service: recording)
        self.router = router
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        router.handle(request)
    }
}

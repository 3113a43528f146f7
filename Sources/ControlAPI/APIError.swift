import Admin
import Control
import HTTPEdge
import Logging
import Store

/// A request the API refuses before it reaches the control plane: a bad body, a missing
/// session. The message is shown to the client and never holds a secret.
public struct APIError: Error, CustomStringConvertible {
    public let status: Int
    public let message: String
    /// Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`.
    public var headers: [(String, String)] = []

    init(_ status: Int, _ message: String, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(message)" }
}

/// Turning results and errors into responses.
enum APIResponse {
    static let logger = Logger("api")

    /// `value` as a JSON body with `status`.
    static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")],
            body: value.encoded())
    }

    /// 204 No Content.
    static let noContent = HTTPResponse(status: 204)

    /// The response for an error thrown while serving `request`. Control-plane refusals
    /// keep their status and message; a store failure answers 500 and is logged with its
    /// cause, which the client never sees.
    static func failure(_ error: Error, _ request: HTTPRequest) -> HTTPResponse {
        switch error {
        case let error as APIError:
            var response = HTTPResponse.error(error.status, error.message)
            response.headers += error.headers
            return response
        case let error as ControlError:
            var response = HTTPResponse.error(error.status, error.description)
            switch error {
            case .tooManyRequests(let seconds):
                response.headers.append(("Retry-After", String(max(1, seconds))))
            case .unauthorized:
                response.headers.append(("WWW-Authenticate", "Bearer"))
            default: break
            }
            return response
        case let error as JoinTokenError:
            let status = error == .memberNotAllowed ? 403 : 400
            return .error(status, error.description)
        case let error as AdminError:
            return .error(400, error.description)
        default:
            let cause = (error as? StoreError).map { "\($0.description)" } ?? "\(error)"
            logger.error("api request failed", [
                "request.id": request.requestID, "http.path": request.path,
                "error": String(cause.prefix(300)),
            ])
            return .error(500, "internal error (request \(request.requestID))")
        }
    }
}

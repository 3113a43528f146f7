/// Why a control-plane request was refused, with a status-like code for the HTTP edge and
/// one clear line for people. Another tenant's object is `.notFound`, the same as one that
/// does not exist, and its message never says which.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    case badRequest(String)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case conflict(String)
    case tooManyRequests(retryAfterSeconds: Int)
    /// Stored data the request needs is missing or damaged (a recording file edited, cut or
    /// swapped): the request was fine, the server cannot serve it.
    case damaged(String)

    /// The HTTP status this error answers with.
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .conflict: return 409
        case .tooManyRequests: return 429
        case .damaged: return 500
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let message), .unauthorized(let message), .forbidden(let message),
            .notFound(let message), .conflict(let message), .damaged(let message):
            return message
        case .tooManyRequests(let seconds):
            return "too many attempts; try again in \(seconds) s"
        }
    }
}

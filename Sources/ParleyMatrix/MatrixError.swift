/// What went wrong talking to a homeserver, said so that an operator knows what to do.
public enum MatrixError: Error, Sendable, CustomStringConvertible {
    /// The homeserver refused the request with a Matrix error (`errcode`, `error`).
    case homeserver(endpoint: String, status: Int, code: String, message: String)
    /// No usable response: the homeserver is down, unreachable, or timed out.
    case unreachable(endpoint: String, detail: String)
    /// The response was not what the specification describes.
    case malformedResponse(endpoint: String, detail: String)
    /// The configured homeserver URL and a path do not make a URL.
    case invalidURL(String)
    /// The access token belongs to another user than the configured one.
    case wrongUser(expected: MatrixUserID, actual: MatrixUserID)
    /// The bot's power level in the room is below what the action needs.
    case notPermitted(action: String, room: MatrixRoomID, level: Int, required: Int)
    /// Still failing after every attempt this request is allowed (a sync has one: the sync loop
    /// goes on itself).
    case gaveUp(endpoint: String, attempts: Int, last: String)
    /// The room is end-to-end encrypted and Parley cannot encrypt: nothing was sent.
    case encryptedRoom(MatrixRoomID)

    public var description: String {
        switch self {
        case .homeserver(let endpoint, let status, let code, let message):
            let advice = switch code {
            case "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN":
                " — the access token is not valid: give a new one (access_token / access_token_file), or a password so that Parley logs in"
            case "M_FORBIDDEN" where endpoint.hasSuffix("login"):
                " — the user id or password is wrong"
            case "M_FORBIDDEN":
                " — the bot lacks the right (its power level, or it is not in the room)"
            default: ""
            }
            return "\(endpoint): HTTP \(status) \(code): \(message)\(advice)"
        case .unreachable(let endpoint, let detail):
            return "\(endpoint): no answer from the homeserver (\(detail))"
        case .malformedResponse(let endpoint, let detail):
            return "\(endpoint): the homeserver's answer is malformed (\(detail))"
        case .invalidURL(let url):
            return "'\(url)' is not a valid URL; give the homeserver as https://host[:port]"
        case .wrongUser(let expected, let actual):
            return "the access token is for \(actual), but the config says user_id \(expected); fix one of them"
        case .notPermitted(let action, let room, let level, let required):
            return "cannot \(action) in \(room): the bot's power level is \(level), the room requires \(required)"
        case .gaveUp(let endpoint, let attempts, let last):
            return "\(endpoint): \(last)" + (attempts > 1 ? " (failed \(attempts) times)" : "")
        case .encryptedRoom(let room):
            return "\(room) is end-to-end encrypted and Parley cannot encrypt yet: nothing was sent (a message in clear there would leak what the room keeps private)"
        }
    }

    /// Matrix's error code, when the homeserver gave one.
    public var code: String? {
        if case .homeserver(_, _, let code, _) = self { return code }
        return nil
    }
}

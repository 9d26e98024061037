
/// People the bot does not listen to. Entries are nick globs (`*bot`, `spam?er`), compared
/// case-insensitively, or `account:NAME` for an authenticated account; admins may change the
/// list at run time with `!ignore` and `!unignore`.
public final class IgnoreList: ModerationHook {
    public let name = "ignore"
    private let entries: Locked<[String]>

    public init(_ entries: [String] = []) {
        self.entries = Locked(entries)
    }

    public var current: [String] { entries.withLock { $0 } }

    /// Adds an entry; false when it was there already.
    public func add(_ entry: String) -> Bool {
        entries.withLock { list in
            guard !list.contains(entry) else { return false }
            list.append(entry)
            return true
        }
    }

    /// Removes an entry; false when it was not there.
    /// Replaces every entry (a reload's list; the caller applies chat changes again over it).
    public func replace(with entries: [String]) {
        self.entries.withLock { $0 = entries }
    }

    public func remove(_ entry: String) -> Bool {
        entries.withLock { list in
            guard let index = list.firstIndex(of: entry) else { return false }
            list.remove(at: index)
            return true
        }
    }

    public func matches(_ sender: Sender) -> Bool {
        current.contains { entry in
            if entry.hasPrefix("account:") {
                return sender.account?.lowercased() == entry.dropFirst("account:".count).lowercased()
            }
            return Glob(entry.lowercased()).matches(sender.displayName.lowercased())
        }
    }

    public func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
        matches(message.sender) ? .drop(reason: "sender is on the ignore list") : .allow
    }
}

/// A shell-style pattern with `*` (any run) and `?` (any one character).
struct Glob: Sendable {
    private let pattern: [Character]

    init(_ pattern: String) {
        self.pattern = Array(pattern)
    }

    func matches(_ text: String) -> Bool {
        let text = Array(text)
        var p = 0, t = 0
        var star: Int?, starText = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p
                starText = t
                p += 1
            } else if let star {
                p = star + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// Answers to CTCP requests (VERSION, PING), held apart from replies to people: each person gets
/// at most one answer per `perPerson` interval, at most `capacity` answers wait at once (the rest
/// are dropped), and an answer is written only when the flood bucket is full, so that it never
/// makes a reply to anyone wait. Sixty VERSIONs from one nick cost one answer; ten thousand from
/// many nicks cost `capacity`.
struct CTCPReplies {
    var capacity = 8
    var perPerson: Duration = .seconds(10)
    private(set) var waiting: [[UInt8]] = []
    /// When each person (folded nick) was last answered.
    private var answered: [String: Duration] = [:]
    /// Answers refused (per-person limit or a full queue) since the last `takeDropped()`.
    private(set) var dropped = 0

    /// Queues `line` for `person`; false when it is refused.
    mutating func offer(_ line: [UInt8], from person: String, now: Duration) -> Bool {
        if let last = answered[person], now - last < perPerson {
            dropped += 1
            return false
        }
        guard waiting.count < capacity else {
            dropped += 1
            return false
        }
        if answered.count >= 1024 { answered = answered.filter { now - $0.value < perPerson } }
        answered[person] = now
        waiting.append(line)
        return true
    }

    /// The next answer to write, if one waits and the bucket can spare it now.
    mutating func next(bucket: inout FloodBucket, now: Duration) -> [UInt8]? {
        guard !waiting.isEmpty, bucket.isFull(at: now) else { return nil }
        _ = bucket.reserve(at: now)
        return waiting.removeFirst()
    }

    mutating func takeDropped() -> Int {
        defer { dropped = 0 }
        return dropped
    }
}

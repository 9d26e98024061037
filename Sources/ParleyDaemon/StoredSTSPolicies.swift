import ParleyIRC
import ParleyStore

/// IRC STS policies kept in Parley's SQLite store, so that they hold across restarts.
struct StoredSTSPolicies: STSPolicyStore {
    let store: SQLiteStore

    func policy(for host: String) async throws -> STSPolicy? {
        try await store.stsPolicy(for: host).map { STSPolicy(port: $0.port, expires: $0.expires) }
    }

    func save(_ policy: STSPolicy, for host: String) async throws {
        try await store.saveSTSPolicy(for: host, port: policy.port, expires: policy.expires)
    }

    func removePolicy(for host: String) async throws {
        try await store.removeSTSPolicy(for: host)
    }
}

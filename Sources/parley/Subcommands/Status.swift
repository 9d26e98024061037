import ArgumentParser
import Foundation
import ParleyCore
import ParleyDaemon
import ParleyHTTP

/// `parley status`: asks the running daemon, through its admin listener (`admin_http:` in the
/// config), for its networks, conversations and queues, backends and plugins.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask the running daemon how it is (needs admin_http in the config).")

    @OptionGroup var options: DaemonOptions

    @Flag(help: "Print the daemon's JSON as it came.")
    var json = false

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        guard let admin = configuration.adminHTTP else {
            FileHandle.standardError.write(Data("error: the config has no admin_http listener to ask; add admin_http: { listen: \"127.0.0.1:9464\" }\n".utf8))
            throw ExitCode(78)
        }
        let host = admin.host.contains(":") ? "[\(admin.host)]" : admin.host
        let url = URL(string: "http://\(host):\(admin.port)/status")!
        var headers: HTTPHeaders = [:]
        if let token = admin.token { headers["Authorization"] = "Bearer \(token.value)" }
        let response: ParleyHTTP.HTTPResponse
        do {
            response = try await CurlHTTPClient().send(
                HTTPRequest(method: "GET", url: url, headers: headers, idleTimeout: .seconds(10), totalTimeout: .seconds(10)),
                maxBodyBytes: 16 << 20)
        } catch {
            FileHandle.standardError.write(Data("error: no daemon answered at \(url): \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard response.status == 200 else {
            FileHandle.standardError.write(Data("error: the daemon answered \(response.status): \(String(decoding: response.body.prefix(500), as: UTF8.self))\n".utf8))
            throw ExitCode(1)
        }
        if json {
            print(String(decoding: response.body, as: UTF8.self))
            return
        }
        let status = try JSONDecoder().decode(AdminStatus.self, from: response.body)
        print(Self.describe(status))
    }

    static func describe(_ status: AdminStatus) -> String {
        let bot = status.bot
        var lines = ["up \(bot.uptimeSeconds / 3600)h\((bot.uptimeSeconds % 3600) / 60)m\(bot.accepting ? "" : ", shutting down"); \(bot.repliesSent) replies sent"]
        lines.append("networks:")
        lines += bot.networks.map { "  \($0.name.rawValue): \($0.state)" }
        lines.append("conversations: \(bot.conversationCount) in memory, \(bot.queued) questions waiting")
        lines += bot.conversations.filter { $0.queued > 0 || $0.answering }.prefix(20).map {
            "  \($0.session): \($0.answering ? "answering" : "idle"), \($0.queued) waiting"
        }
        if !bot.channels.isEmpty {
            lines.append("channels set from chat:")
            lines += bot.channels.map { channel in
                let settings = channel.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.prefix(60))" }
                return "  \(channel.channel): " + ((channel.paused ? ["paused"] : []) + settings).joined(separator: ", ")
            }
        }
        lines.append("backends: " + bot.backends.joined(separator: ", "))
        lines.append("plugins: " + (status.plugins.isEmpty ? "none" : status.plugins.map { "\($0.name) (\($0.state))" }.joined(separator: ", ")))
        return lines.joined(separator: "\n")
    }
}

/// The embedded default config: a copy of `config/parley.yaml` (a test keeps the two identical;
/// `scripts/embed-default-config` regenerates this file), so `parley chat` runs with no file at hand.
public enum EmbeddedConfiguration {
    public static let name = "<embedded config/parley.yaml>"

    public static let text = #"""
# Parley's embedded default: one console channel answered by the local inference engine with
# the reference model (SmolLM2-135M-Instruct, Q4_1), which scripts/fetch-model puts in models/.
# `parley chat` and `parley run` use this when no --config is given.
bot:
  name: parley
  command_prefix: "!"
storage:
  path: data/parley.sqlite
  retention: { max_age_days: 30, max_entries_per_channel: 500 }
backends:
  local:
    type: local
    model: models/SmolLM2-135M-Instruct.Q4_1.gguf
    context: 2048               # tokens per conversation (prompt and reply)
    cached_conversations: 4     # KV caches kept, so follow-ups prefill only their new tokens
    # threads: 2                # default: every core
networks:
  console: { type: console }
defaults:
  backend: local
  max_tokens: 256
  temperature: 0.7
channels:
  - match: { network: console }
    trigger: always
    scope: channel
moderation:
  rate_limit: { per_user: 30/min, per_channel: 60/min }
  max_input_chars: 4000
  max_mentions_per_reply: 3
logging:
  level: warning
  format: text

"""#
}

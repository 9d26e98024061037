/// The embedded default config: a copy of `config/parley.yaml` (a test keeps the two identical;
/// `scripts/embed-default-config` regenerates this file), so `parley chat` runs with no file at hand.
public enum EmbeddedConfiguration {
    public static let name = "<embedded config/parley.yaml>"

    public static let text = #"""
# Parley's embedded default: one console channel answered by the built-in echo backend.
# `parley chat` and `parley run` use this when no --config is given.
# Until the local inference engine lands, the default backend is `echo`, which quotes the
# newest message back: it exercises triggers, context, moderation and delivery without a model.
bot:
  name: parley
  command_prefix: "!"
storage:
  path: data/parley.sqlite
  retention: { max_age_days: 30, max_entries_per_channel: 500 }
backends:
  default: { type: echo, context: 4096 }
networks:
  console: { type: console }
defaults:
  backend: default
  max_tokens: 256
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

#!/usr/bin/env python3
"""topic: a Parley plugin. `!topic set TEXT` keeps a note of what the channel is about; every
reply there gets it in its prompt (the `context` hook)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from parley_plugin import Plugin  # noqa: E402

plugin = Plugin()


def key(message):
    return "topic:%s/%s" % (message["network"], message["channel"])


@plugin.handles("command")
def command(params):
    message, words = params["message"], params.get("arguments", "").split(None, 1)
    if not words:
        topic = plugin.call("store.get", {"key": key(message)}).get("value")
        return {"reply": ("Topic: " + topic) if topic else "No topic is set here."}
    if words[0] == "set" and len(words) == 2:
        text = words[1].strip()
        if len(text) > plugin.settings.get("max_length", 300):
            return {"reply": "Keep it under %d characters." % plugin.settings.get("max_length", 300)}
        plugin.call("store.set", {"key": key(message), "value": text})
        return {"reply": "Topic set."}
    if words[0] == "clear":
        plugin.call("store.delete", {"key": key(message)})
        return {"reply": "Topic cleared."}
    return {"reply": "Usage: topic | topic set TEXT | topic clear"}


@plugin.handles("context")
def context(params):
    topic = plugin.call("store.get", {"key": key(params["message"])}).get("value")
    return {"text": "This channel is about: " + topic} if topic else {}


if __name__ == "__main__":
    plugin.run()

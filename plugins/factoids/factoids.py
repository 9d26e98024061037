#!/usr/bin/env python3
"""factoids: a Parley plugin. `!fact add KEY TEXT` teaches, `!fact KEY` or `?KEY` recalls,
`!fact forget KEY` forgets, `!fact list` lists; facts live in Parley's store."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from parley_plugin import Plugin  # noqa: E402

KEY = re.compile(r"^[\w.+-]{1,64}$")
USAGE = "Usage: fact KEY | fact add KEY TEXT | fact forget KEY | fact list"
plugin = Plugin()


def fact(key):
    return plugin.call("store.get", {"key": "fact:" + key.lower()}).get("value")


@plugin.handles("command")
def command(params):
    words = params.get("arguments", "").split(None, 2)
    if not words:
        return {"reply": USAGE}
    if words[0] == "add":
        if len(words) < 3 or not KEY.match(words[1]):
            return {"reply": "Usage: fact add KEY TEXT (a key is one word)"}
        text = words[2].strip()
        if len(text) > plugin.settings.get("max_length", 400):
            return {"reply": "That is longer than %d characters; keep facts short." % plugin.settings.get("max_length", 400)}
        plugin.call("store.set", {"key": "fact:" + words[1].lower(), "value": text})
        return {"reply": "OK, I'll remember %s." % words[1]}
    if words[0] == "forget":
        if len(words) < 2 or not KEY.match(words[1]):
            return {"reply": "Usage: fact forget KEY"}
        if fact(words[1]) is None:
            return {"reply": "I don't know %s." % words[1]}
        plugin.call("store.delete", {"key": "fact:" + words[1].lower()})
        return {"reply": "Forgotten: %s." % words[1]}
    if words[0] == "list":
        keys = plugin.call("store.keys", {"prefix": "fact:", "limit": 50}).get("keys", [])
        return {"reply": ("Facts: " + ", ".join(k[len("fact:"):] for k in keys)) if keys else "I know no facts yet."}
    if not KEY.match(words[0]):
        return {"reply": "A key is one word."}
    text = fact(words[0])
    return {"reply": "%s: %s" % (words[0], text) if text is not None else "I don't know %s." % words[0]}


@plugin.handles("review")
def review(params):
    """`?KEY` alone on a line recalls the fact; everything else passes."""
    if params.get("direction", "inbound") != "inbound":
        return {"verdict": "allow"}
    text = params["message"]["text"].strip()
    prefix = plugin.settings.get("recall_prefix", "?")
    if text.startswith(prefix) and KEY.match(text[len(prefix):]):
        key = text[len(prefix):]
        known = fact(key)
        if known is not None:
            return {"verdict": "respond", "text": "%s: %s" % (key, known), "reason": "factoid " + key}
    return {"verdict": "allow"}


if __name__ == "__main__":
    plugin.run()

#!/usr/bin/env python3
"""factoids: a Parley plugin (protocol 1), standard library only.

Reads JSON-RPC requests from stdin one per line and answers on stdout; asks Parley's store for
the facts. See plugins/README.md for the protocol."""
import collections
import json
import re
import sys

KEY = re.compile(r"^[\w.+-]{1,64}$")
queued = collections.deque()   # requests that arrived while we waited for the store
next_id = 0
settings = {"max_length": 400, "recall_prefix": "?"}


def write(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def parley(method, params):
    """Calls Parley and waits for its answer; requests that come meanwhile wait their turn."""
    global next_id
    next_id += 1
    ident = "f%d" % next_id
    write({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("id") == ident and "method" not in message:
            if "error" in message:
                raise RuntimeError(message["error"].get("message", "store error"))
            return message.get("result") or {}
        queued.append(message)
    sys.exit(0)


def fact(key):
    return parley("store.get", {"key": "fact:" + key.lower()}).get("value")


def command(arguments):
    words = arguments.split(None, 2)
    if not words:
        return "Usage: fact KEY | fact add KEY TEXT | fact forget KEY | fact list"
    if words[0] == "add":
        if len(words) < 3 or not KEY.match(words[1]):
            return "Usage: fact add KEY TEXT (a key is one word)"
        text = words[2].strip()
        if len(text) > settings["max_length"]:
            return "That is longer than %d characters; keep facts short." % settings["max_length"]
        parley("store.set", {"key": "fact:" + words[1].lower(), "value": text})
        return "OK, I'll remember %s." % words[1]
    if words[0] == "forget":
        if len(words) < 2 or not KEY.match(words[1]):
            return "Usage: fact forget KEY"
        if fact(words[1]) is None:
            return "I don't know %s." % words[1]
        parley("store.delete", {"key": "fact:" + words[1].lower()})
        return "Forgotten: %s." % words[1]
    if words[0] == "list":
        keys = parley("store.keys", {"prefix": "fact:", "limit": 50}).get("keys", [])
        return ("Facts: " + ", ".join(k[len("fact:"):] for k in keys)) if keys else "I know no facts yet."
    if not KEY.match(words[0]):
        return "A key is one word."
    text = fact(words[0])
    return "%s: %s" % (words[0], text) if text is not None else "I don't know %s." % words[0]


def review(message):
    """`?KEY` alone on a line recalls the fact; everything else passes."""
    text = message["text"].strip()
    prefix = settings["recall_prefix"]
    if text.startswith(prefix) and KEY.match(text[len(prefix):]):
        key = text[len(prefix):]
        known = fact(key)
        if known is not None:
            return {"verdict": "respond", "text": "%s: %s" % (key, known), "reason": "factoid " + key}
    return {"verdict": "allow"}


def handle(request):
    method, params = request.get("method"), request.get("params") or {}
    if method == "hello":
        settings.update(params.get("settings") or {})
        return {"protocol": 1}
    if method == "command":
        return {"reply": command(params.get("arguments", ""))}
    if method == "review":
        return review(params["message"]) if params.get("direction", "inbound") == "inbound" else {"verdict": "allow"}
    raise KeyError(method)


def main():
    while True:
        if queued:
            request = queued.popleft()
        else:
            line = sys.stdin.readline()
            if not line:
                return
            request = json.loads(line)
        if "method" not in request or "id" not in request:
            continue
        try:
            write({"jsonrpc": "2.0", "id": request["id"], "result": handle(request)})
        except KeyError as missing:
            write({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "no method %s" % missing}})
        except Exception as error:  # the plugin answers with an error instead of dying
            write({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": str(error)}})


if __name__ == "__main__":
    main()

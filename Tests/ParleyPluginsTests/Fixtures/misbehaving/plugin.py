#!/usr/bin/env python3
"""A test plugin that does, per call, what the test asks: answer, exit, hang, write garbage,
flood without a newline. Standard library only."""
import json
import sys
import time

def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()

calls = 0
for line in sys.stdin:
    request = json.loads(line)
    method, params, ident = request.get("method"), request.get("params") or {}, request.get("id")
    if ident is None:
        if method == "event":
            kind = params.get("type")
            if kind in ("join", "part"):
                text = "%s %s" % (params["sender"]["name"], params["channel"])
            else:
                text = params.get("text") if kind == "reply_sent" else params["message"]["text"]
            send({"jsonrpc": "2.0", "method": "log", "params": {"message": "event: %s %s" % (params["type"], text)}})
        continue
    if method == "hello":
        send({"jsonrpc": "2.0", "id": ident, "result": {"protocol": 1}})
        continue
    if method == "review" and params.get("direction") == "outbound":
        draft = params["draft"]
        verdict = {"verdict": "rewrite", "text": draft.replace("darn", "d**n"), "reason": "mild word"} if "darn" in draft else {"verdict": "allow"}
        send({"jsonrpc": "2.0", "id": ident, "result": verdict})
        continue
    if method == "review":
        text = params["message"]["text"]
        seen = {"jsonrpc": "2.0", "method": "log", "params": {"message": "review: " + text}}
        send(seen)
        verdict = {"verdict": "drop", "reason": "forbidden word"} if "forbidden" in text else {"verdict": "allow"}
        send({"jsonrpc": "2.0", "id": ident, "result": verdict})
        continue
    arguments = params.get("arguments", "")
    calls += 1
    if arguments == "exit":
        sys.exit(3)
    elif arguments == "hang":
        time.sleep(3600)
    elif arguments == "garbage":
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
    elif arguments == "flood":
        chunk = "x" * (1 << 20)
        for _ in range(100):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        time.sleep(3600)
    elif arguments == "inject":
        send({"jsonrpc": "2.0", "id": ident, "result": {"reply": "fine\r\nQUIT :owned\u0000 @everyone"}})
    elif arguments == "highlight":
        send({"jsonrpc": "2.0", "id": ident, "result": {"reply": "ping ann bob cat dan eve"}})
    elif arguments == "remember":
        send({"jsonrpc": "2.0", "id": "s1", "method": "store.set", "params": {"key": "k", "value": "v1"}})
        answer = json.loads(sys.stdin.readline())
        send({"jsonrpc": "2.0", "id": "s2", "method": "store.get", "params": {"key": "k"}})
        value = json.loads(sys.stdin.readline())["result"]["value"]
        send({"jsonrpc": "2.0", "id": ident, "result": {"reply": "stored " + value}})
    else:
        send({"jsonrpc": "2.0", "id": ident, "result": {"reply": "echo %s (call %d)" % (arguments, calls)}})

"""The protocol side of a Parley plugin in Python (protocol 1), standard library only.

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    from parley_plugin import Plugin

    plugin = Plugin()

    @plugin.handles("command")
    def command(params):
        return {"reply": "you said " + params["arguments"]}

    plugin.run()

Handlers take the request's params and return its result (a dict); an exception becomes an
error answer, never a crash. `plugin.call(method, params)` asks Parley (the store, the log) and
waits for the answer; requests that arrive meanwhile are kept for after. `plugin.settings`
holds the settings from the handshake."""
import collections
import json
import sys


class ParleyError(Exception):
    """Parley answered a call with an error."""


class Plugin:
    def __init__(self, protocol=1):
        self.protocol = protocol
        self.settings = {}
        self._handlers = {"hello": self._hello}
        self._queued = collections.deque()
        self._next_id = 0
        self.on_hello = None

    def handles(self, method):
        def register(function):
            self._handlers[method] = function
            return function
        return register

    def call(self, method, params):
        self._next_id += 1
        ident = "p%d" % self._next_id
        self._write({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        for line in sys.stdin:
            message = json.loads(line)
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise ParleyError(message["error"].get("message", "error"))
                return message.get("result") or {}
            self._queued.append(message)
        sys.exit(0)

    def log(self, message, level="info"):
        self._write({"jsonrpc": "2.0", "method": "log", "params": {"level": level, "message": message}})

    def run(self):
        while True:
            if self._queued:
                request = self._queued.popleft()
            else:
                line = sys.stdin.readline()
                if not line:
                    return
                request = json.loads(line)
            if "method" not in request or "id" not in request:
                continue
            handler = self._handlers.get(request["method"])
            if handler is None:
                self._answer(request["id"], error=(-32601, "no method %s" % request["method"]))
                continue
            try:
                self._answer(request["id"], result=handler(request.get("params") or {}) or {})
            except Exception as error:
                self._answer(request["id"], error=(-32000, str(error)))

    def _hello(self, params):
        self.settings.update(params.get("settings") or {})
        if self.on_hello:
            self.on_hello()
        return {"protocol": self.protocol}

    def _answer(self, ident, result=None, error=None):
        message = {"jsonrpc": "2.0", "id": ident}
        if error:
            message["error"] = {"code": error[0], "message": error[1]}
        else:
            message["result"] = result
        self._write(message)

    @staticmethod
    def _write(message):
        sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
        sys.stdout.flush()

#!/usr/bin/env python3
"""remind: a Parley plugin. `!remind in 1h30m TEXT` or `!remind at 14:00 TEXT` says TEXT to you
in the channel when it is due. Reminders live in Parley's store and are set again after a
restart (a reminder that fell due meanwhile is said at once)."""
import datetime
import json
import os
import re
import sys
import time
import uuid
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from parley_plugin import Plugin  # noqa: E402

DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
USAGE = "Usage: remind in 1h30m TEXT | remind at HH:MM TEXT | remind list"
plugin = Plugin()


def arm(ident, due):
    plugin.call("timer.set", {"name": ident, "after_ms": max(0, int((due - time.time()) * 1000))})


def rearm():
    for key in plugin.call("store.keys", {"prefix": "remind:", "limit": 1000}).get("keys", []):
        value = plugin.call("store.get", {"key": key}).get("value")
        if value:
            arm(key[len("remind:"):], json.loads(value)["due"])


plugin.on_hello = rearm


def due_time(words):
    """(epoch seconds, the rest of the words) from `in 1h30m …` or `at 14:00 …`, or None."""
    if len(words) < 3:
        return None
    if words[0] == "in":
        match = DURATION.match(words[1])
        if not match or not any(match.groups()):
            return None
        days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
        seconds_ahead = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
        if seconds_ahead <= 0 or seconds_ahead > 366 * 86400:
            return None
        return time.time() + seconds_ahead, words[2]
    if words[0] == "at":
        match = CLOCK.match(words[1])
        if not match:
            return None
        zone = zoneinfo.ZoneInfo(plugin.settings.get("timezone", "UTC"))
        now = datetime.datetime.now(zone)
        when = now.replace(hour=int(match.group(1)), minute=int(match.group(2)), second=0, microsecond=0)
        if when <= now:
            when += datetime.timedelta(days=1)
        return when.timestamp(), words[2]
    return None


def mine(sender):
    keys = plugin.call("store.keys", {"prefix": "remind:", "limit": 1000}).get("keys", [])
    reminders = []
    for key in keys:
        value = plugin.call("store.get", {"key": key}).get("value")
        if value:
            reminder = json.loads(value)
            if reminder["who_id"] == sender["id"]:
                reminders.append(reminder)
    return sorted(reminders, key=lambda reminder: reminder["due"])


@plugin.handles("command")
def command(params):
    message = params["message"]
    words = params.get("arguments", "").split(None, 2)
    if words[:1] == ["list"]:
        reminders = mine(message["sender"])
        if not reminders:
            return {"reply": "You have no reminders."}
        return {"reply": "; ".join("in %s: %s" % (span(r["due"] - time.time()), r["text"]) for r in reminders[:5])}
    asked = time.time()
    parsed = due_time(words)
    if parsed is None:
        return {"reply": USAGE}
    due, text = parsed
    if len(mine(message["sender"])) >= plugin.settings.get("max_per_person", 20):
        return {"reply": "You have too many reminders already."}
    ident = uuid.uuid4().hex
    reminder = {"due": due, "network": message["network"], "channel": message["channel"],
                "who": message["sender"]["name"], "who_id": message["sender"]["id"], "text": text}
    # Owned by the person: `!forget me` removes their reminders with the rest of their data.
    plugin.call("store.set", {"key": "remind:" + ident, "value": json.dumps(reminder),
                              "owner": {"network": message["network"], "id": message["sender"]["id"]}})
    arm(ident, due)
    # The span asked for, not what is left after the store's round trip (which, on a busy
    # machine, turned "in 10m" into "OK, in 9 minutes.").
    return {"reply": "OK, in %s." % span(due - asked)}


@plugin.handles("timer")
def timer(params):
    key = "remind:" + params["name"]
    value = plugin.call("store.get", {"key": key}).get("value")
    if value:
        reminder = json.loads(value)
        plugin.call("send", {"network": reminder["network"], "channel": reminder["channel"],
                             "text": "%s: reminder: %s" % (reminder["who"], reminder["text"])})
        plugin.call("store.delete", {"key": key})
    return {}


def span(seconds):
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return "%dh%02dm" % (hours, minutes)
    if minutes:
        return "%d minute%s" % (minutes, "" if minutes == 1 else "s")
    return "%d second%s" % (seconds, "" if seconds == 1 else "s")


if __name__ == "__main__":
    plugin.run()

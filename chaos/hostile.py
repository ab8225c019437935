"""Seeded, structure-aware hostile input: job events that each break one rule of the event
format (so every one must be rejected), and card-app requests that must each get a 4xx."""

import json

VALID_EVENTS = [
    {"action": "refill", "target": 1000, "maxPairs": 500, "reason": "chaos", "idempotencyKey": "k-1"},
    {"action": "refill", "trigger": "scheduled", "scheduledTime": "2026-11-28T10:00:00Z",
     "scheduleArn": "arn:aws:scheduler:eu-west-1:000000000000:schedule/default/tome-prefetch"},
    {"source": "aws.events", "detail-type": "Scheduled Event", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
     "time": "2026-11-28T10:00:00Z", "detail": {}},
    {"action": "refill", "dryRun": True, "executionId": "e-1", "attempt": 1},
    {"version": "0", "id": "0d5e2f9c-1b2a-4c3d-8e9f-a0b1c2d3e4f5", "detail-type": "Scheduled Event", "source": "aws.scheduler",
     "account": "000000000000", "time": "2026-11-28T10:00:00Z", "region": "eu-west-1",
     "resources": ["arn:aws:scheduler:eu-west-1:000000000000:schedule/default/tome-prefetch"], "detail": "{}"},
]
INTEGER_FIELDS = {"target": (0, 50_000_000), "maxPairs": (1, 50_000_000)}
STRING_LIMITS = {"reason": 500, "idempotencyKey": 200, "trigger": 20, "executionId": 200,
                 "scheduledTime": 64, "scheduleArn": 512}
WRONG_TYPES = [None, True, False, [], {}, [1, 2], {"a": 1}, "", "12", 1.5, -0.0001]
EDGE_TEXT = ["\u0000", "\u202e\u2066", "\ud83d\ude00" * 3, "e\u0301", "\ufeff", "'; DROP TABLE token_pool; --",
             "\" OR 1=1 --", "%s%n%x", "../../etc/passwd", "\u2028\u2029", "\\u0000"]


def parses(text):
    """Whether `text` is RFC 8259 JSON (Python's parser, with its NaN and Infinity extensions refused)."""
    def refuse(constant):
        raise ValueError(constant)
    try:
        json.loads(text.decode("utf-8"), parse_constant=refuse)
        return True
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


class EventGenerator:
    def __init__(self, rng):
        self.rng = rng

    def events(self, count):
        """`count` events as bytes; each breaks the format in one way."""
        makers = [self.wrong_type, self.out_of_range, self.unknown_field, self.unknown_action,
                  self.too_long, self.bad_key, self.bad_scheduled, self.bad_rule_event, self.bad_scheduler_envelope,
                  self.status_with_fields,
                  self.not_an_object, self.broken_json, self.oversized, self.deep_nesting, self.bad_bytes]
        return [self.rng.choice(makers)() for _ in range(count)]

    def base(self):
        return json.loads(json.dumps(self.rng.choice(VALID_EVENTS[:2] + VALID_EVENTS[3:4])))

    def dump(self, value):
        return json.dumps(value, ensure_ascii=self.rng.random() < 0.5).encode("utf-8", "surrogatepass")

    def wrong_type(self):
        event = self.base()
        field = self.rng.choice(["target", "maxPairs", "dryRun", "reason", "idempotencyKey", "trigger", "action", "attempt"])
        choices = [value for value in WRONG_TYPES if self.fits(field, value) is False]
        event[field] = self.rng.choice(choices)
        return self.dump(event)

    @staticmethod
    def fits(field, value):
        """Whether the event format accepts `value` in `field` (False for every wrong type)."""
        if field in ("target", "maxPairs"):
            return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and value >= 1
        if field == "dryRun":
            return isinstance(value, bool)
        if field == "attempt":
            return isinstance(value, (int, float, str)) and not isinstance(value, bool)
        if field == "action":
            return value in ("refill", "status")
        if field == "trigger":
            return value in ("scheduled", "manual")
        return isinstance(value, str) and value != "" or (field == "reason" and value == "")

    def out_of_range(self):
        event = self.base()
        field = self.rng.choice(list(INTEGER_FIELDS))
        low, high = INTEGER_FIELDS[field]
        event[field] = self.rng.choice([low - 1, low - self.rng.randint(2, 10**12), high + 1, 10**30, -(2**63), 2**64])
        return self.dump(event)

    def unknown_field(self):
        event = self.base()
        name = self.rng.choice(["Target", "max_pairs", "dryrun", "", " action", "target\u0000", "🙂", "x" * 300] + EDGE_TEXT)
        event[name] = self.rng.choice([1, "refill", None, {"nested": [1]}])
        return self.dump(event)

    def unknown_action(self):
        event = self.base()
        event["action"] = self.rng.choice(["Refill", "REFILL", "drain", "delete", "status ", "", "refill\u0000", "stat"] + EDGE_TEXT)
        return self.dump(event)

    def too_long(self):
        event = self.base()
        field = self.rng.choice(list(STRING_LIMITS))
        event[field] = self.rng.choice(["a", "é", "🙂", "'"]) * (STRING_LIMITS[field] + self.rng.randint(1, 3000))
        return self.dump(event)

    def bad_key(self):
        event = self.base()
        event.pop("scheduledTime", None)
        event["idempotencyKey"] = self.rng.choice(["", "\u0000", "key\nwith newline", "tab\there", "\u0007bell", "\u009f"])
        return self.dump(event)

    def bad_scheduled(self):
        event = {"action": "refill", "trigger": "scheduled"}
        if self.rng.random() < 0.5:
            event["scheduledTime"] = "<aws.scheduler.scheduled-time>"
        else:
            event["reason"] = self.rng.choice(EDGE_TEXT)
        return self.dump(event)

    # Each scheduled envelope broken one way: a field with a value AWS never sends, or a field gone.
    RULE_BREAKAGES = {
        "detail-type": ["Object Created", "scheduled event", "", None, 7, {"Scheduled Event": True}],
        "id": ["", "x" * 201, 12, None, ["a"]],
    }
    SCHEDULER_BREAKAGES = {
        "detail-type": ["Object Created", "scheduled event", "", None, 7],
        "resources": [[], ["not-an-arn"], [1], "arn:aws:scheduler:x:y:schedule/a", None, ["a", "b"]],
        "time": ["", "yesterday", "2026-11-28 10:00:00", "2026-11-28T10:00:00", 1764324000, None],
        "detail": ['{"action": "drain"}', {"action": "refill"}, "[]", "", 5, ["{}"]],
        "action": [1, "refill"], "target": [1], "Detail": ["{}"], "idempotencyKey": ["k"],
    }

    def bad_rule_event(self):
        """An EventBridge rule's scheduled event with one thing wrong."""
        return self.break_envelope(VALID_EVENTS[2], self.RULE_BREAKAGES, removable=["id"])

    def bad_scheduler_envelope(self):
        """EventBridge Scheduler's default payload with one thing wrong."""
        return self.break_envelope(VALID_EVENTS[4], self.SCHEDULER_BREAKAGES, removable=["detail-type", "resources", "time"])

    def break_envelope(self, valid, breakages, removable):
        event = json.loads(json.dumps(valid))
        if self.rng.random() < 0.2:
            event.pop(self.rng.choice(removable))
        else:
            field = self.rng.choice(sorted(breakages))
            event[field] = self.rng.choice(breakages[field])
        return self.dump(event)

    def status_with_fields(self):
        event = {"action": "status"}
        event[self.rng.choice(["target", "verbose", "", "action2"])] = self.rng.choice([1, True, "x"])
        return self.dump(event)

    def not_an_object(self):
        return self.dump(self.rng.choice([[], [VALID_EVENTS[0]], "refill", 42, None, True, 1e308, "", [[]]]))

    def broken_json(self):
        # A random edit can land inside a string and leave valid JSON: draw again until it is not.
        while True:
            text = self.break_json()
            if not parses(text):
                return text

    def break_json(self):
        text = self.dump(self.base())
        breakage = self.rng.randrange(7)
        if breakage == 0:
            return text[: self.rng.randrange(1, len(text))]
        if breakage == 1:
            return text + self.rng.choice([b"}", b"garbage", b",{}", b"\x00"])
        if breakage == 2:
            position = self.rng.randrange(len(text))
            return text[:position] + bytes([self.rng.choice(b'{}[]",:\\')]) + text[position + 1:]
        if breakage == 3:
            return text.replace(b'"', b"'")
        if breakage == 4:
            return b'{"action": "refill", "target": NaN}' if self.rng.random() < 0.5 else b'{"target": Infinity}'
        if breakage == 5:
            return text[:-1] + b",}"  # a trailing comma, which Foundation's decoder alone would take
        return b""

    def oversized(self):
        size = self.rng.choice([64 * 1024 + 1, 100_000, 1_000_000])
        event = self.base()
        event["reason"] = "x" * size
        return self.dump(event)

    def deep_nesting(self):
        depth = self.rng.choice([600, 5_000, 30_000])
        opener, closer = self.rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
        return b'{"action": "refill", "target": ' + opener * depth + b"1" + closer * depth + b"}"

    def bad_bytes(self):
        text = self.dump(self.base())
        position = self.rng.randrange(1, len(text))
        junk = self.rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xfe\xff", b"\x80"])
        return text[:position] + junk + text[position:]


def card_app_abuse(rng, token):
    """(label, method, path, headers, body) requests, each of which must be refused with a 4xx."""
    auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    requests = []
    for header in [None, "", "Bearer", "Bearer ", "bearer " + token[:-1], "Basic dXNlcjpwYXNz", "Bearer " + token + "x",
                   "Bearer " + "A" * 8000, token, "Bearer  " + token[::-1]]:
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["Authorization"] = header
        for method, path, body in [("POST", "/v1/cards", b'{"customerId": "c-1"}'), ("GET", "/v1/cards/abc", None),
                                   ("POST", "/v1/detokenize", b'{"ns2Token": "ns2_x"}')]:
            requests.append(("auth", method, path, headers, body))
    broken = [b"", b"{", b"[]", b"null", b"42", b'"customerId"', b'{"customerId": }', b'{"customerId": "a",}',
              b"{'customerId': 'a'}", b'{"customerId": "a"} trailing', b"\xff\xfe{}", b'{"customerId": "\\ud800"}',
              b'{"customerId": "\\u0000"}', b'{"customerId": null}', b'{"customerId": 12}', b'{"customerId": ["a"]}',
              b'{"customerId": "a", "customerId": "b", "x": 1}', b'{"customerId": "a", "admin": true}', b"[" * 50_000]
    for body in broken:
        requests.append(("broken JSON", "POST", "/v1/cards", auth, body))
        requests.append(("broken JSON", "POST", "/v1/detokenize", auth, body.replace(b"customerId", b"ns2Token")))
    for size in [70_000, 1_000_000, 8_000_000]:
        requests.append(("huge body", "POST", "/v1/cards", auth, b'{"customerId": "' + b"a" * size + b'"}'))
    for text in EDGE_TEXT + ["a" * 65, "é", "ＡＢＣ", "\u0130", "a b", "a/b", "a\tb", "", " ", "\ud800", "🙂" * 16]:
        body = json.dumps({"customerId": text}).encode("utf-8", "surrogatepass")
        requests.append(("SQL-looking or Unicode-edge customerId", "POST", "/v1/cards", auth, body))
        body = json.dumps({"ns2Token": text}).encode("utf-8", "surrogatepass")
        requests.append(("SQL-looking or Unicode-edge ns2Token", "POST", "/v1/detokenize", auth, body))
    for key in ["", " ", "k" * 256, "ключ", "a\u0000b", "a b", "\u00e9"]:
        headers = dict(auth)
        headers["Idempotency-Key"] = key
        requests.append(("bad Idempotency-Key", "POST", "/v1/cards", headers, b'{"customerId": "c-1"}'))
    for path in ["/v1/cards/" + "a" * 65, "/v1/cards/%00", "/v1/cards/%27%20OR%201%3D1", "/v1/cards/%C3%A9",
                 "/v1/cards/..%2F..%2Fetc%2Fpasswd", "/v1/cards/%ff", "/v1/../admin", "/v2/cards", "/v1/cards/a/b",
                 "/v1/cards?customerId=1%27", "/" + "x" * 4000]:
        requests.append(("odd path", "GET", path, auth, None))
    for method, path in [("DELETE", "/v1/cards/abc"), ("PUT", "/v1/cards"), ("PATCH", "/v1/detokenize"),
                         ("GET", "/v1/detokenize"), ("TRACE", "/v1/cards")]:
        requests.append(("wrong method", method, path, auth, b'{"customerId": "c-1"}'))
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"]:
        headers = dict(auth)
        headers["Content-Type"] = content_type
        requests.append(("wrong content type", "POST", "/v1/cards", headers, b"customerId=a'"))
    rng.shuffle(requests)
    return requests

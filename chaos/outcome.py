"""What one scenario found: its figures, the invariant counts the suite totals, and why it failed."""

TOTALS = ("duplicates", "lost", "leaked", "crashes", "server_errors", "secrets_in_logs")


class Outcome:
    def __init__(self, name):
        self.name = name
        self.figures = {}
        self.counts = dict.fromkeys(TOTALS, 0)
        self.failures = []
        self.summary = ""

    def add(self, key, amount):
        self.counts[key] += max(0, amount)
        if amount > 0:
            self.failures.append("%s: %d" % (key, amount))

    def check(self, condition, failure):
        if not condition:
            self.failures.append(failure)
        return condition

    @property
    def passed(self):
        return not self.failures and all(value == 0 for value in self.counts.values())

    def as_json(self):
        return {"name": self.name, "passed": self.passed, "summary": self.summary, "figures": self.figures,
                **self.counts, "failures": self.failures}

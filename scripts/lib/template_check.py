"""What lambda/check_template.py and ecs/check_template.py share: their command line, the report
they print, the template's loading, parameter values, the evaluation of its conditions for given
values, the check for dynamic references and the actions that read a secret."""

import argparse
import json
import os
import sys

from cfnlint.decode import decode_str

NO_VALUE = {"Ref": "AWS::NoValue"}
# The repository both checks are part of.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What an execution role could read a secret with; each check lets only the grants it expects match them.
SECRET_ACTIONS = [
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
]


def arguments(doc, template, repo_root_help, mutants_help):
    """The command line of a check: --template (by default `template`, a path in the repository),
    --repo-root (by default the repository) and --mutants."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--template", default=os.path.join(REPO, template))
    parser.add_argument("--repo-root", default=REPO, help=repo_root_help)
    parser.add_argument("--mutants", action="store_true", help=mutants_help)
    return parser.parse_args()


class Report:
    """One `ok:` line per group of checks that passed, an `error:` line per failure; quiet for
    the mutant runs, which only ask whether anything failed and in which groups."""

    def __init__(self, quiet=False):
        self.quiet = quiet
        self.failed = False
        self.failed_groups = []
        self.group = None
        self.errors = 0

    def start(self, group):
        self.group, self.errors = group, 0

    def fail(self, message):
        if not self.quiet:
            print(f"error: {self.group}: {message}")
        if self.group not in self.failed_groups:
            self.failed_groups.append(self.group)
        self.errors += 1
        self.failed = True

    def check(self, condition, message):
        if not condition:
            self.fail(message)
        return condition

    def done(self, summary):
        if self.errors == 0 and not self.quiet:
            print(f"ok: {self.group}: {summary}")


def as_list(value):
    return value if isinstance(value, list) else [value]


def show(value):
    return json.dumps(value, sort_keys=True)


def get_att(name, attribute):
    return {"Fn::GetAtt": [name, attribute]}


def check_dynamic_references(report, text, patterns, why):
    """No dynamic reference (the `patterns`, in the order given) anywhere in the template's text."""
    report.start("dynamic references")
    for pattern in patterns:
        report.check(pattern not in text, f"the template contains {pattern!r}: {why}")
    report.done(" and ".join(f"no {pattern}" for pattern in patterns) + " in the template")


def load(path):
    """The template's text, and the template as plain dicts and strings (as the SAM translator
    expects); a YAML the cfn-lint loader refuses ends the script."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    template, matches = decode_str(text)
    if template is None or matches:
        for match in matches:
            print(f"error: yaml: {match}")
        sys.exit(1)
    return text, json.loads(json.dumps(template))


def parameter_values(template, samples, overrides=None):
    """Each parameter's default, else its value in `samples` (as a deployment would pass it)."""
    values = {}
    for name, definition in template.get("Parameters", {}).items():
        values[name] = definition["Default"] if "Default" in definition else samples.get(name, "sample")
    values.update(overrides or {})
    return values


class Conditions:
    """Evaluates the template's conditions and rules for given parameter values; `resolve`
    replaces each Fn::If by its chosen branch and drops each AWS::NoValue. Refs and Subs stay."""

    def __init__(self, template, parameters):
        self.template = template
        self.parameters = parameters

    def value(self, node):
        if isinstance(node, dict) and set(node) == {"Ref"}:
            return self.parameters.get(node["Ref"], node)
        return node

    def holds(self, node):
        if isinstance(node, str):
            return self.holds(self.template.get("Conditions", {})[node])
        (function, arguments), = node.items()
        if function == "Fn::Equals":
            return self.value(arguments[0]) == self.value(arguments[1])
        if function == "Fn::Not":
            return not self.holds(arguments[0])
        if function == "Fn::And":
            return all(self.holds(a) for a in arguments)
        if function == "Fn::Or":
            return any(self.holds(a) for a in arguments)
        if function == "Fn::Contains":
            return self.value(arguments[1]) in [self.value(v) for v in arguments[0]]
        if function == "Condition":
            return self.holds(arguments)
        raise ValueError(f"unknown condition function {function}")

    def resolve(self, node):
        if isinstance(node, dict) and set(node) == {"Fn::If"}:
            condition, if_true, if_false = node["Fn::If"]
            return self.resolve(if_true if self.holds(condition) else if_false)
        if isinstance(node, dict):
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value != NO_VALUE}
        if isinstance(node, list):
            return [item for item in (self.resolve(value) for value in node) if item != NO_VALUE]
        return node

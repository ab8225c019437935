#!/usr/bin/env python3
"""Checks lambda/template.yaml the way `sam deploy` will see it.

The template is transformed with the SAM translator (aws-sam-translator, the library behind
CloudFormation's AWS::Serverless transform, which runs when `sam deploy` creates its change set)
after the local CodeUri is replaced by an s3:// URI, as `sam deploy` does when it uploads the zip. The checks then read the CloudFormation
that comes out: the permissions SAM generates, the schedules, the secrets, the pool settings, the
logging settings, the alarms. Every failure prints one `error:` line naming what is wrong and the
script exits 1; each group of checks that passes prints one `ok:` line.

    python3 lambda/check_template.py [--template FILE] [--repo-root DIR]

Needs aws-sam-translator and cfn-lint (for its YAML loader); scripts/lint-template installs both.
No AWS account or network is used.
"""

import copy
import fnmatch
import json
import os
import re
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "lib"))
from template_check import (SECRET_ACTIONS, Conditions, Report, arguments, as_list,  # noqa: E402
                            check_dynamic_references, get_att, load, show)
from template_check import parameter_values as shared_parameter_values  # noqa: E402

FUNCTION = "PrefetchFunction"
ZIP_PATH = os.path.join(".build", "lambda", "tome-prefetch.zip")
ALIAS = "PrefetchFunctionAliaslive"
SCHEDULES = {
    # SAM's logical id: (the schedule's name, expression, the event's action, its "trigger" (None:
    #                    the event has none), (MaximumRetryAttempts, MaximumEventAgeInSeconds))
    "PrefetchFunctionHourly": ({"Fn::Sub": "${AWS::StackName}-hourly"}, "rate(1 hour)", "refill", "scheduled",
                               (2, 3600)),
    # A firing older than the next one is not worth delivering.
    "PrefetchFunctionTopUp": ({"Fn::Sub": "${AWS::StackName}-top-up"}, "rate(5 minutes)", "top-up", None,
                              (2, 300)),
}
# Actions whose scheduled runs are keyed scheduler:<schedule ARN>@<scheduled time>, the same in every
# retry of one firing and different for the two schedules when they fire at the same time.
KEYED_ACTIONS = {"refill", "top-up"}
SCHEDULER_PLACEHOLDERS = {
    "<aws.scheduler.scheduled-time>": "2024-03-22T18:00:00Z",
    "<aws.scheduler.schedule-arn>": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/{name}",
    "<aws.scheduler.execution-id>": "d32c5kddcf5bb8c3",
    "<aws.scheduler.attempt-number>": "1",
}
# Environment variable: (the parameter it is, that parameter's Default, and its AllowedValues or
# the range the job accepts, which the parameter's MinValue and MaxValue must keep within).
POOL_SETTINGS = {
    "POOL_TARGET": ("PoolTarget", 10000, (0, 50_000_000)),
    "POOL_SIZING": ("PoolSizing", "forecast", ["forecast", "static"]),
    "POOL_COVER_HOURS": ("PoolCoverHours", 4, (0, 168)),
    "POOL_HISTORY_DAYS": ("PoolHistoryDays", 28, (1, 90)),
    "POOL_TARGET_MIN": ("PoolTargetMin", 0, (0, 50_000_000)),
    "POOL_TARGET_MAX": ("PoolTargetMax", 1000000, (0, 50_000_000)),
}
# Values for the parameters that have no default, as a deployment would pass them.
SAMPLE_PARAMETERS = {
    "SubnetIds": "subnet-0123456789abcdef0",
    "SecurityGroupIds": "sg-0123456789abcdef0",
    "ParametersSecretsExtensionLayerVersion": "12",
    "DatabaseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:tome-pool/database-AbCdEf",
    "TomeAuthTokenParameter": "/tome-pool/tome-token",
    "TomeUrl": "https://tome.internal:8443",
}
# The accounts AWS publishes the Parameters and Secrets extension layer from, per Region (the
# Secrets Manager User Guide, "AWS Parameters and Secrets Lambda Extension ARNs", as AWS CDK's
# region facts list it), kept here apart from the template's Mappings to check them against.
EXTENSION_ACCOUNTS = {
    "af-south-1": "317013901791", "ap-east-1": "768336418462", "ap-northeast-1": "133490724326",
    "ap-northeast-2": "738900069198", "ap-northeast-3": "576959938190", "ap-south-1": "176022468876",
    "ap-south-2": "070087711984", "ap-southeast-1": "044395824272", "ap-southeast-2": "665172237481",
    "ap-southeast-3": "490737872127", "ca-central-1": "200266452380", "cn-north-1": "287114880934",
    "cn-northwest-1": "287310001119", "eu-central-1": "187925254637", "eu-central-2": "772501565639",
    "eu-north-1": "427196147048", "eu-south-1": "325218067255", "eu-south-2": "524103009944",
    "eu-west-1": "015030872274", "eu-west-2": "133256977650", "eu-west-3": "780235371811",
    "me-central-1": "858974508948", "me-south-1": "832021897121", "sa-east-1": "933737806257",
    "us-east-1": "177933569100", "us-east-2": "590474943231", "us-gov-east-1": "129776340158",
    "us-gov-west-1": "127562683043", "us-west-1": "997803712105", "us-west-2": "345057560386",
}
EXTENSION_LAYER_NAMES = {
    "x86_64": "AWS-Parameters-and-Secrets-Lambda-Extension",
    "arm64": "AWS-Parameters-and-Secrets-Lambda-Extension-Arm64",
}
# The Region the translation is checked in, and one the table lacks.
SAMPLE_REGION = "us-east-1"
UNLISTED_REGION = "xx-example-1"
# What CloudWatch Logs accepts as RetentionInDays.
LOG_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653}
# The properties that give a resource of each type a fixed physical name.
NAME_PROPERTIES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::IAM::Role": "RoleName",
}
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/service-role/{name}"
    for name in ("AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole")
}
PARAMETER_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TomeAuthTokenParameter}"
}
# The only grants that may match SECRET_ACTIONS (what an execution role could read a secret with).
ALLOWED_SECRET_GRANTS = [
    ("secretsmanager:GetSecretValue", {"Ref": "DatabaseSecretArn"}),
    ("ssm:GetParameter", PARAMETER_ARN),
    ("kms:Decrypt", {"Ref": "SecretsKmsKeyArn"}),
]
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|PRIVATE_KEY|^DATABASE_URL$")
# Where the secrets are, and the extension's own settings: names, never values.
REFERENCE_NAMES = re.compile(
    r"^(DATABASE_URL_SECRET_ARN|TOME_AUTH_TOKEN_SECRET|SECRETS_MANAGER_(TTL|TIMEOUT_MILLIS)"
    r"|SSM_PARAMETER_STORE_(TTL|TIMEOUT_MILLIS)|PARAMETERS_SECRETS_EXTENSION_[A-Z_]+)$")
SYSTEM_LEVELS_WITH_REPORT = {"DEBUG", "INFO"}
ALARMS = {
    "InvocationDeadLetterAlarm",
    "SchedulerDeadLetterAlarm",
    "PoolBelowLowWatermarkAlarm",
    "PoolFallbacksAlarm",
    "RefillRunFailedAlarm",
    "FunctionErrorsAlarm",
    "FunctionThrottlesAlarm",
    "FunctionDurationAlarm",
    "PoolMetricsHeartbeatAlarm",
}
# The application log levels that keep the job's metric lines, which carry no level (INFO to Lambda).
LEVELS_KEEPING_METRICS = {"TRACE", "DEBUG", "INFO"}
# The function's timeout, and the share of it past which FunctionDurationAlarm fires.
FUNCTION_TIMEOUT_S = 900
DURATION_ALARM_SHARE = 0.8


def normalize(resource):
    """A Fn::Sub of one variable, as SAM's policy templates write it, is that variable's value."""
    if isinstance(resource, dict) and set(resource) == {"Fn::Sub"} and isinstance(resource["Fn::Sub"], list):
        text, variables = resource["Fn::Sub"]
        name = re.fullmatch(r"\$\{([A-Za-z0-9_]+)\}", text)
        if name and name.group(1) in variables:
            return normalize(variables[name.group(1)])
    return resource


def statements(policies):
    """Each (policy name, statement) of inline policies; both branches of a statement's Fn::If."""
    for policy in policies:
        document = policy.get("PolicyDocument", {})
        for statement in as_list(document.get("Statement", [])):
            for branch in branches(statement):
                yield policy.get("PolicyName", "?"), branch


def branches(statement):
    if isinstance(statement, dict) and set(statement) == {"Fn::If"}:
        _, if_true, if_false = statement["Fn::If"]
        return [b for s in (if_true, if_false) for b in branches(s)]
    if statement == {"Ref": "AWS::NoValue"}:
        return []
    return [statement]


def allows(role, action, resource):
    """Whether an inline policy of the role allows the action on exactly that resource."""
    for _, statement in statements(role["Properties"].get("Policies", [])):
        if statement.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in as_list(statement.get("Action", []))]
        if action.lower() in actions and resource in [normalize(r) for r in as_list(statement.get("Resource", []))]:
            return True
    return False


def parameter_values(template, overrides=None):
    return shared_parameter_values(template, SAMPLE_PARAMETERS, overrides)


class ManagedPolicies:
    def load(self):
        return dict(MANAGED_POLICIES)


def check_code_uri(report, template, template_path, repo_root):
    report.start("code uri")
    function = template.get("Resources", {}).get(FUNCTION)
    if not report.check(isinstance(function, dict) and function.get("Type") == "AWS::Serverless::Function",
                        f"no AWS::Serverless::Function named {FUNCTION}"):
        return False
    code_uri = function.get("Properties", {}).get("CodeUri")
    expected = os.path.normpath(os.path.join(repo_root, ZIP_PATH))
    if not isinstance(code_uri, str):
        report.fail(f"CodeUri is {show(code_uri)}, not a plain local path: sam deploy uploads only a "
                    f"path written in the template (it must resolve to {ZIP_PATH})")
    elif code_uri.startswith("s3://"):
        report.fail(f"CodeUri is {code_uri}: use the local zip ({ZIP_PATH}) so sam deploy uploads it")
    else:
        resolved = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(template_path)), code_uri))
        report.check(resolved == expected,
                     f"CodeUri {code_uri} resolves to {resolved}, not {expected} (the zip lambda/package writes)")
    package = os.path.join(repo_root, "lambda", "package")
    if os.path.exists(package):
        with open(package, encoding="utf-8") as file:
            script = file.read()
        report.check("out=.build/lambda" in script and "tome-prefetch.zip" in script,
                     f"lambda/package no longer writes {ZIP_PATH}")
    report.done(f"CodeUri is the local {ZIP_PATH}, the file lambda/package writes")
    return True


def check_text(report, text):
    check_dynamic_references(report, text, ("ssm-secure", "{{resolve:"),
                             "secrets are read at run time, never resolved into the function's configuration")


def partition(region):
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def language_extensions(node, template, region):
    """The template as AWS::LanguageExtensions leaves it in `region`: each Fn::FindInMap resolved,
    to its DefaultValue where the map lacks the keys (the transform fails where there is none)."""
    if isinstance(node, list):
        return [language_extensions(item, template, region) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::FindInMap"}:
        arguments = node["Fn::FindInMap"]
        keys = [region if key == {"Ref": "AWS::Region"} else key for key in arguments[:3]]
        if not all(isinstance(key, str) for key in keys):
            raise ValueError(f"Fn::FindInMap {show(arguments)} has keys this check cannot resolve")
        entry = template.get("Mappings", {}).get(keys[0], {}).get(keys[1], {})
        if keys[2] in entry:
            return entry[keys[2]]
        if len(arguments) == 4 and isinstance(arguments[3], dict) and "DefaultValue" in arguments[3]:
            return arguments[3]["DefaultValue"]
        raise KeyError(f"Fn::FindInMap {show(arguments)} finds nothing in {region} and has no DefaultValue")
    return {key: language_extensions(value, template, region) for key, value in node.items()}


def substitute(node, values):
    """A Fn::Sub's text with `values` (and its own variables) put in; None if one is missing."""
    text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
    known = {**values, **variables}
    missing = [name for name in re.findall(r"\$\{([^}!]+)\}", text) if not isinstance(known.get(name), str)]
    if missing:
        return None
    return re.sub(r"\$\{([^}!]+)\}", lambda match: known[match.group(1)], text)


def translate(report, template):
    report.start("translate")
    transforms = as_list(template.get("Transform", []))
    report.check(transforms == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
                 f"the transforms are {show(transforms)}; AWS::LanguageExtensions must come first so that "
                 "it resolves the layer's Fn::FindInMap before the SAM transform")
    try:
        packaged = language_extensions(copy.deepcopy(template), template, SAMPLE_REGION)
    except (KeyError, ValueError) as error:
        report.fail(f"AWS::LanguageExtensions would fail in {SAMPLE_REGION}: {error}")
        return None
    # What sam deploy does after uploading the zip (the key is the zip's MD5 there).
    packaged["Resources"][FUNCTION]["Properties"]["CodeUri"] = "s3://sam-deploy-bucket/0123456789abcdef0123456789abcdef"
    os.environ.setdefault("AWS_DEFAULT_REGION", SAMPLE_REGION)
    try:
        output = transform(packaged, parameter_values(template), ManagedPolicies())
    except InvalidDocumentException as error:
        for cause in error.causes:
            report.fail(f"the SAM translator rejects the template: {cause.message}")
        return None
    except Exception as error:  # the translator's own failures, reported rather than raised
        report.fail(f"the SAM translator failed: {error}")
        return None
    report.done("the SAM translator transforms the template as sam deploy would after packaging")
    return output


def check_code(report, output):
    report.start("packaged code")
    function = output["Resources"][FUNCTION]
    code = function["Properties"].get("Code", {})
    report.check(isinstance(code, dict) and {"S3Bucket", "S3Key"} <= set(code),
                 f"the function's Code is {show(code)}, not an S3Bucket and S3Key")
    report.done("after packaging the function's Code is an S3Bucket and S3Key")


def function_role(report, output):
    role = output["Resources"][FUNCTION]["Properties"].get("Role")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        report.fail(f"the function's role is {show(role)}, not one generated from the template")
        return None
    return output["Resources"][role["Fn::GetAtt"][0]]


def check_invocation_failures(report, output):
    report.start("invocation failures")
    role = function_role(report, output)
    configs = [r for r in output["Resources"].values()
               if r["Type"] == "AWS::Lambda::EventInvokeConfig"
               and r["Properties"].get("FunctionName") == {"Ref": FUNCTION}]
    queue = get_att("InvocationDeadLetterQueue", "Arn")
    if report.check(len(configs) == 1, f"{len(configs)} EventInvokeConfig for the function, expected 1"):
        properties = configs[0]["Properties"]
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        report.check(destination == queue, f"the on-failure destination is {show(destination)}, "
                                           "not InvocationDeadLetterQueue")
        report.check("MaximumRetryAttempts" in properties, "the EventInvokeConfig sets no MaximumRetryAttempts")
        report.check(properties.get("Qualifier") == "live",
                     f"the EventInvokeConfig applies to {show(properties.get('Qualifier'))}, not the alias live "
                     "the schedules invoke")
    if role:
        report.check(allows(role, "sqs:SendMessage", queue),
                     "the execution role does not allow sqs:SendMessage on InvocationDeadLetterQueue, so "
                     "Lambda cannot deliver failed invocations (a separate AWS::Lambda::EventInvokeConfig "
                     "gets no policy from SAM; use the function's EventInvokeConfig property)")
    report.done("failed asynchronous invocations go to InvocationDeadLetterQueue, "
                "and the execution role may send there")


def check_schedules(report, output):
    report.start("schedules")
    resources = output["Resources"]
    queue = resources.get("SchedulerDeadLetterQueue")
    if report.check(queue and queue["Type"] == "AWS::SQS::Queue", "no SQS queue SchedulerDeadLetterQueue"):
        properties = queue["Properties"]
        report.check(properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties,
                     "SchedulerDeadLetterQueue is not encrypted (SqsManagedSseEnabled)")
        report.check(properties.get("MessageRetentionPeriod") == 1209600,
                     "SchedulerDeadLetterQueue does not keep messages 14 days (MessageRetentionPeriod 1209600)")
    schedules = {name: r for name, r in resources.items() if r["Type"] == "AWS::Scheduler::Schedule"}
    report.check(set(schedules) == set(SCHEDULES),
                 f"the schedules are {sorted(schedules)}, expected {sorted(SCHEDULES)}")
    dead_letter = get_att("SchedulerDeadLetterQueue", "Arn")
    alias = {"Ref": ALIAS}
    for name, schedule in sorted(schedules.items()):
        properties = schedule["Properties"]
        target = properties.get("Target", {})
        physical, expression, action, trigger, (retries, max_age) = SCHEDULES.get(
            name, (None, None, None, None, (None, None)))
        if expression:
            report.check(properties.get("Name") == physical,
                         f"{name} is named {show(properties.get('Name'))}, expected {show(physical)}: a name "
                         "that is not the stack's collides with the same schedule of another stack")
            report.check(properties.get("ScheduleExpression") == expression,
                         f"{name} runs {properties.get('ScheduleExpression')}, expected {expression}")
            window = properties.get("FlexibleTimeWindow", {}).get("Mode")
            report.check(window == "OFF", f"{name}'s FlexibleTimeWindow is {show(window)}, expected OFF")
        report.check(target.get("Arn") == alias,
                     f"{name} invokes {show(target.get('Arn'))}, not the alias live ({ALIAS}), so moving the "
                     "alias would not roll the schedules back")
        report.check(target.get("DeadLetterConfig", {}).get("Arn") == dead_letter,
                     f"{name}'s dead-letter queue is {show(target.get('DeadLetterConfig'))}, "
                     "not SchedulerDeadLetterQueue")
        retry = target.get("RetryPolicy", {})
        if report.check(retry.get("MaximumRetryAttempts", 0) >= 1 and "MaximumEventAgeInSeconds" in retry,
                        f"{name} has no retry policy (MaximumRetryAttempts, MaximumEventAgeInSeconds)") and expression:
            got = (retry.get("MaximumRetryAttempts"), retry.get("MaximumEventAgeInSeconds"))
            report.check(got == (retries, max_age),
                         f"{name}'s retry policy is {got[0]} retries within {got[1]} s, "
                         f"expected {retries} within {max_age} s")
        if expression:
            check_input(report, name, target.get("Input"), action, trigger)
        role = target.get("RoleArn")
        role = resources.get(role["Fn::GetAtt"][0]) if isinstance(role, dict) and "Fn::GetAtt" in role else None
        if report.check(role is not None, f"{name}'s role is not generated from the template"):
            report.check(allows(role, "lambda:InvokeFunction", alias),
                         f"{name}'s role does not allow lambda:InvokeFunction on the alias live")
            report.check(allows(role, "sqs:SendMessage", dead_letter),
                         f"{name}'s role does not allow sqs:SendMessage on SchedulerDeadLetterQueue")
    report.done(f"{', '.join(sorted(SCHEDULES))}: named after the stack, invoking the alias live; expressions, "
                "JSON input, retry policy, SchedulerDeadLetterQueue and the roles' permissions")


def check_input(report, name, text, action, trigger):
    if not report.check(isinstance(text, str), f"{name} has no Input text"):
        return
    samples = {placeholder: sample.format(name=name) for placeholder, sample in SCHEDULER_PLACEHOLDERS.items()}
    for placeholder, sample in samples.items():
        text = text.replace(placeholder, sample)
    unknown = re.findall(r"<aws\.[^>]*>", text)
    report.check(not unknown, f"{name}'s Input has placeholders the scheduler does not fill in: {', '.join(unknown)}")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        report.fail(f"{name}'s Input is not JSON once the scheduler fills it in ({error}): {json.dumps(text)}")
        return
    if not report.check(isinstance(event, dict), f"{name}'s Input is not a JSON object"):
        return
    report.check(event.get("action") == action, f"{name}'s Input has action {event.get('action')!r}, "
                                                 f"expected {action!r}")
    report.check(event.get("trigger") == trigger,
                 f"{name}'s Input has trigger {event.get('trigger')!r}, expected "
                 + ("none" if trigger is None else repr(trigger)))
    if action in KEYED_ACTIONS:
        for field, placeholder, why in (
                ("scheduledTime", "<aws.scheduler.scheduled-time>",
                 "which gives the retries of one firing one idempotency key"),
                ("scheduleArn", "<aws.scheduler.schedule-arn>",
                 "which keeps the idempotency keys of the two schedules apart when they fire at the same time")):
            report.check(event.get(field) == samples[placeholder],
                         f"{name}'s Input does not carry {placeholder} as {field!r}, {why}")


def check_secrets(report, template, output):
    report.start("secrets")
    function = output["Resources"][FUNCTION]["Properties"]
    variables = function.get("Environment", {}).get("Variables", {})
    for name, value in sorted(variables.items()):
        if REFERENCE_NAMES.match(name):
            continue
        report.check(not SECRET_NAME.search(name), f"environment variable {name} looks like a secret; "
                                                   "secrets are read at run time through the extension")
        report.check(not (isinstance(value, str) and re.search(r"://[^/@\s]+:[^/@\s]*@", value)),
                     f"environment variable {name} carries credentials in a URL")
    report.check(variables.get("DATABASE_URL_SECRET_ARN") == {"Ref": "DatabaseSecretArn"},
                 "DATABASE_URL_SECRET_ARN is not the DatabaseSecretArn parameter")
    report.check(variables.get("TOME_AUTH_TOKEN_SECRET") == {"Ref": "TomeAuthTokenParameter"},
                 "TOME_AUTH_TOKEN_SECRET is not the TomeAuthTokenParameter parameter")
    parameters = template.get("Parameters", {})
    token = parameters.get("TomeAuthTokenParameter", {})
    report.check(token.get("AllowedPattern", "").startswith("^/"),
                 "TomeAuthTokenParameter does not require a leading / (its ARN is built as parameter${Name})")
    report.check(len(as_list(function.get("Layers", []))) == 1,
                 "the Parameters and Secrets extension layer is not attached (Layers)")
    role = function_role(report, output)
    if role:
        check_secret_grants(report, role)
    report.done("no secret in the template or the environment; the extension layer is attached; the role "
                "reads exactly the database secret and the token parameter")


def check_secret_grants(report, role):
    found = set()
    for policy, statement in statements(role["Properties"].get("Policies", [])):
        if "NotAction" in statement or "NotResource" in statement:
            report.fail(f"policy {policy} uses NotAction/NotResource; grants must name actions and resources")
            continue
        if statement.get("Effect") != "Allow":
            continue
        resources = [normalize(r) for r in as_list(statement.get("Resource", []))]
        for pattern in as_list(statement.get("Action", [])):
            matched = [a for a in SECRET_ACTIONS if fnmatch.fnmatch(a.lower(), str(pattern).lower())]
            if not matched:
                continue
            grant = next((g for g in ALLOWED_SECRET_GRANTS if g[0].lower() == str(pattern).lower()), None)
            if grant is None:
                report.fail(f"policy {policy} grants {pattern} (covers {', '.join(matched)}) on "
                            f"{show(resources)}; only GetSecretValue on the database secret, GetParameter "
                            "on the token parameter and kms:Decrypt on SecretsKmsKeyArn are needed")
            elif resources != [grant[1]]:
                report.fail(f"policy {policy} grants {pattern} on {show(resources)}, expected exactly "
                            f"{show(grant[1])}")
            else:
                found.add(grant[0])
    for action, resource in ALLOWED_SECRET_GRANTS[:2]:
        report.check(action in found, f"the execution role does not allow {action} on {show(resource)}")
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        report.check(arn in MANAGED_POLICIES.values(),
                     f"managed policy {show(arn)} is attached; it may grant access to other secrets")


def check_extension_layer(report, template):
    """The layer each Region and architecture gets, as CloudFormation resolves the template there."""
    report.start("extension layer")
    parameters = template.get("Parameters", {})
    version = parameters.get("ParametersSecretsExtensionLayerVersion", {})
    report.check(version.get("Type") == "Number" and "Default" not in version,
                 "ParametersSecretsExtensionLayerVersion is not a required Number (the versions differ per "
                 "Region and architecture, so no default is right everywhere)")
    override = parameters.get("ParametersSecretsExtensionLayerArn", {})
    report.check(override.get("Default") == "", "ParametersSecretsExtensionLayerArn is not optional (Default \"\")")
    table = template.get("Mappings", {}).get("ParametersSecretsExtensionAccounts", {})
    report.check({region: entry.get("Account") for region, entry in table.items()} == EXTENSION_ACCOUNTS,
                 "the ParametersSecretsExtensionAccounts mapping differs from the accounts AWS publishes: "
                 + ", ".join(sorted(r for r in set(table) | set(EXTENSION_ACCOUNTS)
                                    if table.get(r, {}).get("Account") != EXTENSION_ACCOUNTS.get(r))))
    layers = template.get("Resources", {}).get(FUNCTION, {}).get("Properties", {}).get("Layers", [])
    if not report.check(isinstance(layers, list) and len(layers) == 1, f"Layers is {show(layers)}, not one layer"):
        return
    given = "arn:aws:lambda:xx-example-1:123456789012:layer:AWS-Parameters-and-Secrets-Lambda-Extension:3"
    cases = [(region, arch, "") for region in sorted(EXTENSION_ACCOUNTS) for arch in EXTENSION_LAYER_NAMES]
    cases += [(UNLISTED_REGION, "x86_64", ""), (UNLISTED_REGION, "x86_64", given), (SAMPLE_REGION, "arm64", given)]
    for region, arch, arn in cases:
        values = {**parameter_values(template), "Architecture": arch, "ParametersSecretsExtensionLayerArn": arn,
                  "ParametersSecretsExtensionLayerVersion": "7"}
        try:
            chosen = Conditions(template, values).resolve(language_extensions(layers[0], template, region))
        except (KeyError, ValueError, TypeError) as error:
            report.fail(f"the layer cannot be resolved in {region} for {arch}: {error}")
            continue
        if isinstance(chosen, dict) and set(chosen) == {"Ref"}:
            chosen = values.get(chosen["Ref"], chosen)
        elif isinstance(chosen, dict) and set(chosen) == {"Fn::Sub"}:
            chosen = substitute(chosen, {**values, "AWS::Region": region, "AWS::Partition": partition(region)})
        if arn:
            expected = arn
        elif region in EXTENSION_ACCOUNTS:
            expected = (f"arn:{partition(region)}:lambda:{region}:{EXTENSION_ACCOUNTS[region]}:layer:"
                        f"{EXTENSION_LAYER_NAMES[arch]}:7")
        else:
            # No account: the ARN must fail the deploy and say what to set.
            report.check(isinstance(chosen, str) and "ParametersSecretsExtensionLayerArn" in chosen,
                         f"in a Region the table lacks the layer is {show(chosen)}, which does not name "
                         "ParametersSecretsExtensionLayerArn")
            continue
        report.check(chosen == expected, f"in {region} for {arch} the layer is {show(chosen)}, expected {expected}")
    report.done(f"the layer of each of {len(EXTENSION_ACCOUNTS)} Regions and both architectures comes from AWS's "
                "account for the Region (-Arm64 on arm64) at the version given; a given ARN wins; a Region "
                "the table lacks names ParametersSecretsExtensionLayerArn")


def check_stack_resources(report, template, output):
    """Two stacks (staging, production) in one account and Region: no fixed names; the template's
    own log group with a retention; a published version behind the alias live."""
    report.start("per-stack names, log group and alias")
    resources = output["Resources"]
    for name, resource in sorted(resources.items()):
        prop = NAME_PROPERTIES.get(resource["Type"])
        value = resource.get("Properties", {}).get(prop) if prop else None
        if value is None:
            continue
        report.check(isinstance(value, dict) and "${AWS::StackName}" in show(value),
                     f"{name} has the fixed {prop} {show(value)}; a second stack in the account would collide")
    function = resources[FUNCTION]["Properties"]
    group = function.get("LoggingConfig", {}).get("LogGroup")
    report.check(group == {"Ref": "PrefetchLogGroup"},
                 f"the function logs to {show(group)}, not the template's PrefetchLogGroup (Lambda's own group "
                 "never expires and outlives the stack)")
    log_group = resources.get("PrefetchLogGroup", {})
    report.check(log_group.get("Type") == "AWS::Logs::LogGroup"
                 and log_group.get("Properties", {}).get("RetentionInDays") == {"Ref": "LogRetentionDays"},
                 "PrefetchLogGroup is not a log group whose RetentionInDays is the LogRetentionDays parameter")
    report.check(log_group.get("DeletionPolicy", "Delete") == "Delete",
                 "PrefetchLogGroup outlives the stack (DeletionPolicy)")
    retention = template.get("Parameters", {}).get("LogRetentionDays", {})
    allowed = set(retention.get("AllowedValues", []))
    report.check(bool(allowed) and allowed <= LOG_RETENTION_DAYS and retention.get("Default") in allowed,
                 f"LogRetentionDays allows {sorted(allowed)}: values CloudWatch Logs does not accept, or none")
    alias = resources.get(ALIAS, {})
    version = alias.get("Properties", {}).get("FunctionVersion", {})
    report.check(alias.get("Type") == "AWS::Lambda::Alias" and alias["Properties"].get("Name") == "live"
                 and isinstance(version, dict) and "Fn::GetAtt" in version
                 and resources.get(version["Fn::GetAtt"][0], {}).get("Type") == "AWS::Lambda::Version",
                 "there is no alias live on a published version (AutoPublishAlias: live)")
    report.check(template["Resources"][FUNCTION]["Properties"].get("AutoPublishAliasAllProperties") is True,
                 "a deploy that changes only the configuration publishes no version (AutoPublishAliasAllProperties)")
    report.done("no fixed names (the schedules' are the stack's), logs in the template's own group with "
                "LogRetentionDays, each deploy a version behind the alias live")


def check_pool_settings(report, template, output):
    report.start("pool settings")
    variables = output["Resources"][FUNCTION]["Properties"].get("Environment", {}).get("Variables", {})
    parameters = template.get("Parameters", {})
    for variable, (name, default, allowed) in POOL_SETTINGS.items():
        report.check(variables.get(variable) == {"Ref": name},
                     f"environment variable {variable} is {show(variables.get(variable))}, "
                     f"expected the {name} parameter")
        parameter = parameters.get(name)
        if not report.check(isinstance(parameter, dict), f"there is no {name} parameter for {variable}"):
            continue
        report.check(str(parameter.get("Default")) == str(default),
                     f"{name} defaults to {show(parameter.get('Default'))}, expected {show(default)} "
                     f"(the job's own default for {variable})")
        if isinstance(allowed, list):
            report.check(parameter.get("AllowedValues") == allowed,
                         f"{name} allows {show(parameter.get('AllowedValues'))}, expected {show(allowed)}")
        else:
            low, high = allowed
            bounds = (parameter.get("MinValue"), parameter.get("MaxValue"))
            try:
                within = low <= float(bounds[0]) <= float(bounds[1]) <= high
            except (TypeError, ValueError):
                within = False
            report.check(parameter.get("Type") == "Number" and within,
                         f"{name} is a {parameter.get('Type')} from {bounds[0]} to {bounds[1]}; the job accepts "
                         f"{variable} from {low} to {high}, so a Number parameter with MinValue and MaxValue "
                         "within that range lets CloudFormation refuse what the job would")
    report.done(f"{', '.join(POOL_SETTINGS)} are passed from their parameters, with the job's defaults "
                "and values it accepts")


def check_runtime(report, template, output):
    report.start("logging and concurrency")
    function = output["Resources"][FUNCTION]["Properties"]
    logging = function.get("LoggingConfig", {})
    report.check(logging.get("LogFormat") == "JSON", "LoggingConfig.LogFormat is not JSON")
    report.check(logging.get("SystemLogLevel") in SYSTEM_LEVELS_WITH_REPORT,
                 f"SystemLogLevel is {show(logging.get('SystemLogLevel'))}: Lambda's REPORT lines are INFO, "
                 "so it must be INFO or DEBUG")
    level = logging.get("ApplicationLogLevel")
    parameter = template.get("Parameters", {}).get("ApplicationLogLevel", {})
    report.check(level == {"Ref": "ApplicationLogLevel"} and parameter.get("Default") == "INFO",
                 "ApplicationLogLevel is not the ApplicationLogLevel parameter (default INFO)")
    report.check(set(parameter.get("AllowedValues", [])) <= LEVELS_KEEPING_METRICS,
                 f"ApplicationLogLevel allows {sorted(set(parameter.get('AllowedValues', [])) - LEVELS_KEEPING_METRICS)}, "
                 "which drop the metric lines (they carry no level, so Lambda counts them as INFO)")
    defaults = parameter_values(template)
    conditions = Conditions(template, defaults)
    reserved = function.get("ReservedConcurrentExecutions", {"Ref": "AWS::NoValue"})
    try:
        unset = conditions.resolve(reserved) == {"Ref": "AWS::NoValue"}
        report.check(unset, f"the function reserves concurrency by default ({show(reserved)}); a manual invoke "
                            "during the hourly run would be throttled and small accounts cannot deploy it")
        if unset:
            chosen = Conditions(template, {**defaults, "ReservedConcurrency": "2"}).resolve(reserved)
            report.check(chosen == {"Ref": "ReservedConcurrency"},
                         "setting the ReservedConcurrency parameter does not reserve concurrency")
    except (KeyError, ValueError, TypeError) as error:
        report.fail(f"cannot evaluate ReservedConcurrentExecutions {show(reserved)}: {error}")
    report.done("JSON logs, REPORT lines kept (SystemLogLevel INFO or DEBUG), application level a parameter "
                "that keeps the metric lines (TRACE, DEBUG or INFO), concurrency not reserved unless "
                "ReservedConcurrency is set")


def metric_of(alarm):
    """(namespace, metric name, statistic, period, dimensions) of a single-metric alarm."""
    return (alarm.get("Namespace"), alarm.get("MetricName"), alarm.get("Statistic"), alarm.get("Period"),
            alarm.get("Dimensions"))


def check_alarms(report, output):
    report.start("alarms")
    resources = output["Resources"]
    function = resources[FUNCTION]["Properties"].get("Environment", {}).get("Variables", {})
    namespace = {"Ref": "MetricsNamespace"}
    pool = [{"Name": "Pool", "Value": {"Ref": "AWS::StackName"}}]
    report.check(function.get("METRICS_NAMESPACE") == namespace and
                 function.get("POOL_NAME") == {"Ref": "AWS::StackName"},
                 "METRICS_NAMESPACE and POOL_NAME are not what the alarms watch (MetricsNamespace, the stack name)")
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    missing = ALARMS - set(alarms)
    report.check(not missing, f"missing alarms: {', '.join(sorted(missing))}")
    lambda_function = [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}]
    # name: (metric, operator, threshold, periods, TreatMissingData). Dead letters are counted as
    # sent per period, so the alarm clears by itself and fires again on the next failure; the
    # function's own metrics cover what writes no metric line (init errors, timeouts, throttles);
    # the heartbeat treats missing data as breaching, since the metrics stopping is the failure.
    expected = {
        "InvocationDeadLetterAlarm": (("AWS/SQS", "NumberOfMessagesSent", "Sum", 300,
                                       [{"Name": "QueueName",
                                         "Value": get_att("InvocationDeadLetterQueue", "QueueName")}]),
                                      "GreaterThanThreshold", 0, 1, "notBreaching"),
        "SchedulerDeadLetterAlarm": (("AWS/SQS", "NumberOfMessagesSent", "Sum", 300,
                                      [{"Name": "QueueName",
                                        "Value": get_att("SchedulerDeadLetterQueue", "QueueName")}]),
                                     "GreaterThanThreshold", 0, 1, "notBreaching"),
        # Per 5-minute window, so one fallback does not hold it in ALARM for an hour.
        "PoolFallbacksAlarm": ((namespace, "FallbacksLastFiveMinutes", "Maximum", 300, pool), "GreaterThanThreshold",
                               0, 1, "missing"),
        "RefillRunFailedAlarm": ((namespace, "RunFailed", "Maximum", 300, pool), "GreaterThanThreshold", 0, 1,
                                 "notBreaching"),
        "FunctionErrorsAlarm": (("AWS/Lambda", "Errors", "Sum", 300, lambda_function), "GreaterThanThreshold", 0, 1,
                                "notBreaching"),
        "FunctionThrottlesAlarm": (("AWS/Lambda", "Throttles", "Sum", 300, lambda_function), "GreaterThanThreshold",
                                   0, 1, "notBreaching"),
        "FunctionDurationAlarm": (("AWS/Lambda", "Duration", "Maximum", 300, lambda_function), "GreaterThanThreshold",
                                  FUNCTION_TIMEOUT_S * 1000 * DURATION_ALARM_SHARE, 1, "notBreaching"),
        "PoolMetricsHeartbeatAlarm": ((namespace, "AvailablePairs", "SampleCount", 300, pool), "LessThanThreshold", 1,
                                      3, "breaching"),
    }
    timeout = output["Resources"][FUNCTION]["Properties"].get("Timeout")
    report.check(timeout == FUNCTION_TIMEOUT_S,
                 f"the function's Timeout is {show(timeout)}, not the {FUNCTION_TIMEOUT_S} s FunctionDurationAlarm is set for")
    for name, (metric, operator, threshold, periods, missing_data) in expected.items():
        alarm = alarms.get(name)
        if alarm is None:
            continue
        report.check(metric_of(alarm) == metric, f"{name} watches {show(metric_of(alarm))}, expected {show(metric)}")
        check_threshold(report, name, alarm, operator, periods, threshold)
        report.check(alarm.get("TreatMissingData") == missing_data,
                     f"{name} treats missing data as {show(alarm.get('TreatMissingData'))}, expected {missing_data}")
    watermark = alarms.get("PoolBelowLowWatermarkAlarm")
    if watermark is not None:
        metrics = {m.get("Id"): m for m in watermark.get("Metrics", [])}
        stats = {(m["MetricStat"]["Metric"].get("MetricName"), m["MetricStat"].get("Stat"),
                  m["MetricStat"].get("Period"), show(m["MetricStat"]["Metric"].get("Namespace")),
                  show(m["MetricStat"]["Metric"].get("Dimensions")))
                 for m in metrics.values() if "MetricStat" in m}
        want = {("AvailablePairs", "Minimum", 300, show(namespace), show(pool)),
                ("LowWatermark", "Maximum", 300, show(namespace), show(pool))}
        report.check(stats == want, f"PoolBelowLowWatermarkAlarm reads {sorted(stats)}, expected {sorted(want)}")
        expressions = [m.get("Expression", "").replace(" ", "") for m in metrics.values() if m.get("ReturnData")]
        report.check(expressions == ["available-watermark"],
                     f"PoolBelowLowWatermarkAlarm alarms on {expressions}, expected available - watermark")
        check_threshold(report, "PoolBelowLowWatermarkAlarm", watermark, "LessThanThreshold", 3)
        report.check(watermark.get("TreatMissingData") == "missing",
                     "PoolBelowLowWatermarkAlarm must keep its state on missing data (the heartbeat alarms on that)")
    for name in sorted(ALARMS & set(alarms)):
        alarm = alarms[name]
        report.check("lambda/README.md" in alarm.get("AlarmDescription", ""),
                     f"{name}'s description does not point to the runbook in lambda/README.md")
        report.check(show(alarm.get("AlarmActions")) == show(
                         {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]})
                     or (resources_condition(output, name) == "HasAlarmTopic"
                         and alarm.get("AlarmActions") == [{"Ref": "AlarmTopicArn"}]),
                     f"{name} does not notify AlarmTopicArn when it is set")
    report.done(f"{', '.join(sorted(ALARMS))} watch the right queues and metrics, treat missing data as "
                "intended and notify AlarmTopicArn")


def resources_condition(output, name):
    return output["Resources"][name].get("Condition")


def check_threshold(report, name, alarm, operator, periods, threshold=0):
    report.check(alarm.get("ComparisonOperator") == operator and alarm.get("Threshold") == threshold,
                 f"{name} alarms when {alarm.get('ComparisonOperator')} {alarm.get('Threshold')}, "
                 f"expected {operator} {threshold}")
    report.check(alarm.get("EvaluationPeriods") == periods and alarm.get("DatapointsToAlarm", periods) == periods,
                 f"{name} alarms on {alarm.get('DatapointsToAlarm', alarm.get('EvaluationPeriods'))} of "
                 f"{alarm.get('EvaluationPeriods')} periods, expected {periods} of {periods}")


def check_outputs(report, output):
    report.start("outputs")
    values = [o.get("Value") for o in output.get("Outputs", {}).values()]
    for wanted in ({"Ref": FUNCTION}, {"Ref": ALIAS}, {"Ref": "PrefetchLogGroup"},
                   {"Ref": "InvocationDeadLetterQueue"}, {"Ref": "SchedulerDeadLetterQueue"}):
        report.check(wanted in values, f"no output gives {show(wanted)}")
    report.done("the function's name, the alias live, the log group and both queue URLs")


def run_checks(report, text, template, template_path, repo_root):
    check_text(report, text)
    if check_code_uri(report, template, template_path, repo_root):
        check_extension_layer(report, template)
        output = translate(report, template)
        if output is not None:
            check_code(report, output)
            check_invocation_failures(report, output)
            check_schedules(report, output)
            check_secrets(report, template, output)
            check_stack_resources(report, template, output)
            check_pool_settings(report, template, output)
            check_runtime(report, template, output)
            check_alarms(report, output)
            check_outputs(report, output)


def properties(template, name):
    return template["Resources"][name]["Properties"]


def schedule(template, event):
    return properties(template, FUNCTION)["Events"][event]["Properties"]


# Templates one mistake away from the real one, each of which the checks must refuse: a check
# that passes them all checks nothing.
MUTANTS = {
    "the heartbeat treats missing data as notBreaching":
        lambda t: properties(t, "PoolMetricsHeartbeatAlarm").update(TreatMissingData="notBreaching"),
    "ApplicationLogLevel allows WARN":
        lambda t: t["Parameters"]["ApplicationLogLevel"]["AllowedValues"].append("WARN"),
    "a fixed schedule name": lambda t: schedule(t, "Hourly").update(Name="tome-prefetch-hourly"),
    "a fixed function name": lambda t: properties(t, FUNCTION).update(FunctionName="tome-prefetch"),
    "a wrong account in the layer table":
        lambda t: t["Mappings"]["ParametersSecretsExtensionAccounts"]["eu-west-1"].update(Account="015030872275"),
    "the x86_64 layer on arm64":
        lambda t: properties(t, FUNCTION)["Layers"][0]["Fn::If"][2]["Fn::If"].__setitem__(0, "HasAlarmTopic"),
    "the layer without a DefaultValue":
        lambda t: properties(t, FUNCTION)["Layers"][0]["Fn::If"][2]["Fn::If"][1]["Fn::Sub"][1]["Account"][
            "Fn::FindInMap"].pop(),
    "Lambda's own log group": lambda t: properties(t, FUNCTION)["LoggingConfig"].pop("LogGroup"),
    "no alias": lambda t: properties(t, FUNCTION).pop("AutoPublishAlias"),
    "fallbacks over a rolling hour":
        lambda t: properties(t, "PoolFallbacksAlarm").update(MetricName="FallbacksLastHour"),
    "the SAM transform first": lambda t: t["Transform"].reverse(),
    "a token in the environment":
        lambda t: properties(t, FUNCTION)["Environment"]["Variables"].update(TOME_AUTH_TOKEN="local-token"),
}


def check_mutants(template, template_path, repo_root):
    report = Report()
    report.start("mutants")
    for name, mutate in MUTANTS.items():
        mutant = copy.deepcopy(template)
        try:
            mutate(mutant)
        except (KeyError, IndexError, TypeError, AttributeError) as error:
            report.fail(f"cannot make the mutant with {name}: the template changed shape ({error!r})")
            continue
        quiet = Report(quiet=True)
        try:
            run_checks(quiet, json.dumps(mutant), mutant, template_path, repo_root)
        except Exception as error:  # a crash is no refusal
            report.fail(f"the checks crash on the mutant with {name}: {error!r}")
            continue
        report.check(quiet.failed, f"the checks pass a template with {name}")
    report.done(f"each of {len(MUTANTS)} templates with one mistake is refused")
    return report.failed


def main():
    args = arguments(__doc__, os.path.join("lambda", "template.yaml"),
                     repo_root_help="where .build/lambda/tome-prefetch.zip is made",
                     mutants_help="also check that templates with one known mistake each are refused")

    report = Report()
    text, template = load(args.template)
    run_checks(report, text, template, args.template, args.repo_root)
    failed = report.failed
    if args.mutants and not failed:
        failed = check_mutants(template, args.template, args.repo_root)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

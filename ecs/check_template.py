#!/usr/bin/env python3
"""Checks ecs/template.yaml, card-app's ECS Fargate service, as CloudFormation will create it.

The template is read with cfn-lint's YAML loader and its conditions are evaluated for two sets of
parameters (the TOME token in Secrets Manager; the token in Parameter Store with a customer KMS
key), so that both branches of every Fn::If are checked. The checks: every secret (the audit key and
the metrics token among them) reaches the container through Secrets and none through Environment;
the execution role may read exactly those secrets; the container runs as a numeric non-root user on
a read-only root file system; audit records name the client (the load balancer's subnets are the
trusted proxies); StopTimeout, the deregistration delay and CARD_APP_DRAIN_SECONDS cover card-app's
longest request, recomputed from the task's settings and from the bounds in Sources/, and the drain
ends before StopTimeout; card-app's idle timeout exceeds the load balancer's, which exceeds the
longest request; HTTPS with the certificate and TLS policy parameters; the tasks reachable only from
the load balancer; two tasks at least, auto scaling, logs, no fixed names.
Every failure prints one `error:` line naming what is wrong and the script exits 1; each group of
checks that passes prints one `ok:` line.

    python3 ecs/check_template.py [--template FILE] [--repo-root DIR] [--mutants]

With --mutants the checks run instead against mutants of the template, each with one fault built
in (a secret moved to Environment, the user root, a StopTimeout of 300, a drain past StopTimeout,
card-app's idle timeout not above the load balancer's, the tasks open to 0.0.0.0/0, ...); each
mutant must fail them, so no check passes vacuously. One `ok:` line per mutant names the groups
that caught it.

Needs cfn-lint (for its YAML loader); scripts/lint-template installs it. No AWS account or network
is used.
"""

import copy
import fnmatch
import ipaddress
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "lib"))
from template_check import (NO_VALUE, SECRET_ACTIONS, Conditions, Report, arguments, as_list,  # noqa: E402
                            check_dynamic_references, get_att, load, parameter_values, show)

CONTAINER = "card-app"
PORT = 8080
PARAMETER_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TomeAuthTokenParameterName}"
}
# The conditions' two worlds, on top of the defaults and SAMPLE_PARAMETERS.
SCENARIOS = {
    "token in Secrets Manager": {
        "TomeAuthTokenSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:tome-pool/tome-token-GhIjKl",
    },
    "token in Parameter Store, customer KMS key": {
        "TomeAuthTokenParameterName": "/tome-pool/tome-token",
        "SecretsKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
    },
}
# Values for the parameters that have no default, as a deployment would pass them.
SAMPLE_PARAMETERS = {
    "ImageRepository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/card-app",
    "ImageTag": "1.0.0",
    "VpcId": "vpc-0123456789abcdef0",
    "TaskSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "LoadBalancerSubnetIds": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
    "LoadBalancerSubnetCidrs": ["10.0.128.0/24", "10.0.129.0/24"],
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
    "DatabaseUrlSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:card-app/database-url-AbCdEf",
    "ClientsSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:card-app/clients-MnOpQr",
    "AuditKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:card-app/audit-key-StUvWx",
    "MetricsTokenSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:card-app/metrics-token-YzAbCd",
    "TomeUrl": "https://tome.internal:8443",
}
# Container variable: where its value comes from.
SECRETS = {
    "DATABASE_URL": {"Ref": "DatabaseUrlSecretArn"},
    "CARD_APP_CLIENTS": {"Ref": "ClientsSecretArn"},
    "CARD_APP_AUDIT_KEY": {"Ref": "AuditKeySecretArn"},
    "CARD_APP_METRICS_TOKEN": {"Ref": "MetricsTokenSecretArn"},
    "TOME_AUTH_TOKEN": None,  # the secret or the parameter, as the scenario says
}
# The Secrets Manager secrets the execution role reads in every scenario (the TOME token's only
# when it is one).
SECRET_ARN_PARAMETERS = ["DatabaseUrlSecretArn", "ClientsSecretArn", "AuditKeySecretArn", "MetricsTokenSecretArn"]
SECRET_PARAMETERS = set(SECRET_ARN_PARAMETERS) | {"TomeAuthTokenSecretArn", "TomeAuthTokenParameterName",
                                                  "SecretsKmsKeyArn"}
# A name like these in Environment would put a secret in the task definition, readable by anyone
# allowed ecs:DescribeTaskDefinition.
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|_KEY$|CLIENTS|^DATABASE_URL$")
EXECUTION_MANAGED_POLICY = {
    "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}
# card-app's bounds, in seconds, as Sources/ states them (check_sources reads them there):
DATABASE_STEP_S = 10      # withDatabaseRetry's attemptTimeout; a timeout is not retried
RETRY_AFTER_CAP_S = 10    # RetryPolicy.maxRetryAfter: the longest wait between two TOME attempts
READINESS_S = 2           # /health/ready: the database answers within this
CANCELLATION_S = 5        # after the drain, what is left is cancelled within this, then the process exits
DRAIN_MAX_S = 115         # the largest CARD_APP_DRAIN_SECONDS card-app accepts
IDLE_MAX_S = 3600         # the largest CARD_APP_IDLE_TIMEOUT_SECONDS card-app accepts
ELB_IDLE_TIMEOUT_DEFAULT_S = 60  # the load balancer's idle timeout when the template sets none
# A card creation's database steps at most: the pooled insert, the Idempotency-Key lookup, the
# fallback transaction (its TOME calls inside that step's bound), the lookup of a concurrent winner.
CARD_CREATION_STEPS = 4
SOURCE_FACTS = {
    # file: [(pattern, the value its first group must have (None: the pattern must match), what it is)]
    "Sources/PoolDatabase/DatabaseRetry.swift": [
        (r"attemptTimeout: Duration = \.seconds\((\d+)\)", DATABASE_STEP_S, "the bound of one database step"),
    ],
    "Sources/Resilience/RetryPolicy.swift": [
        (r"maxRetryAfter: Duration = \.seconds\((\d+)\)", RETRY_AFTER_CAP_S,
         "the longest Retry-After the TOME client waits"),
    ],
    "Sources/TOMEClient/HTTPTOMEClient+Environment.swift": [
        (r"retry: RetryPolicy\(maxAttempts: attempts\)", None,
         "the TOME client's retry policy: TOME_MAX_ATTEMPTS, and the default Retry-After cap"),
        (r"\"TOME_REQUEST_TIMEOUT_MS\"", None, "TOME_REQUEST_TIMEOUT_MS, the per-attempt timeout"),
        (r"\"TOME_MAX_ATTEMPTS\"", None, "TOME_MAX_ATTEMPTS, the attempts per call"),
    ],
    "Sources/CardService/Routes/OperationsRoutes.swift": [
        (r"withTimeout\(\.seconds\((\d+)\)\)", READINESS_S, "readiness's database bound"),
    ],
    "Sources/card-app/ServeCommand.swift": [
        (r"commandName: \"serve\"", None, "the serve subcommand"),
        (r"@Option\([^)]*\)\s*var host\b", None, "the --host option"),
        (r"@Option\([^)]*\)\s*var port\b", None, "the --port option"),
        (r"gracefulShutdownSignals: \[\.sigterm", None, "SIGTERM starting the graceful shutdown"),
        (r"maximumGracefulShutdownDuration = settings\.drain\b", None,
         "CARD_APP_DRAIN_SECONDS bounding the graceful shutdown"),
        (r"maximumCancellationDuration = \.seconds\((\d+)\)", CANCELLATION_S,
         "the bound of the cancellation after the drain"),
    ],
    "Sources/card-app/CardAppSettings.swift": [
        (r"\"CARD_APP_DRAIN_SECONDS\", default: \d+, in: 1\.\.\.(\d+)\)", DRAIN_MAX_S,
         "the largest CARD_APP_DRAIN_SECONDS accepted"),
        (r"\"CARD_APP_IDLE_TIMEOUT_SECONDS\", default: \d+, in: 1\.\.\.([\d_]+)\)", IDLE_MAX_S,
         "the largest CARD_APP_IDLE_TIMEOUT_SECONDS accepted"),
    ],
}
FARGATE_STOP_TIMEOUT_MAX_S = 120
# Amazon ECS Developer Guide, the CPU and memory combinations Fargate accepts (MiB per CPU units).
FARGATE_MEMORY = {
    "256": ["512", "1024", "2048"],
    "512": [str(m) for m in range(1024, 4097, 1024)],
    "1024": [str(m) for m in range(2048, 8193, 1024)],
    "2048": [str(m) for m in range(4096, 16385, 1024)],
    "4096": [str(m) for m in range(8192, 30721, 1024)],
}
LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653]
# Properties that would give a resource a fixed physical name (two stacks in one account and
# Region would then collide, or share a task definition family).
FIXED_NAMES = {
    "AWS::Logs::LogGroup": ["LogGroupName"],
    "AWS::ECS::Cluster": ["ClusterName"],
    "AWS::ECS::Service": ["ServiceName"],
    "AWS::ECS::TaskDefinition": ["Family"],
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ["Name"],
    "AWS::ElasticLoadBalancingV2::TargetGroup": ["Name"],
    "AWS::IAM::Role": ["RoleName"],
    "AWS::EC2::SecurityGroup": ["GroupName"],
    "AWS::CloudWatch::Alarm": ["AlarmName"],
}
ALARMS = {
    # name: (metric, the dimensions by the attributes they name, operator, threshold, periods, missing data)
    "NoHealthyTargetsAlarm": ("HealthyHostCount", ("TargetGroup", "LoadBalancer"), "LessThanThreshold", 1, 3,
                              "breaching"),
    "UnhealthyTargetsAlarm": ("UnHealthyHostCount", ("TargetGroup", "LoadBalancer"), "GreaterThanThreshold", 0, 5,
                              "notBreaching"),
    "LoadBalancer5xxAlarm": ("HTTPCode_ELB_5XX_Count", ("LoadBalancer",), "GreaterThanThreshold", 0, 3,
                             "notBreaching"),
    "Target5xxAlarm": ("HTTPCode_Target_5XX_Count", ("TargetGroup", "LoadBalancer"), "GreaterThanThreshold", 5, 3,
                       "notBreaching"),
}
DIMENSIONS = {
    "TargetGroup": {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]},
    "LoadBalancer": {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
}


def ref(name):
    return {"Ref": name}


class Scenario(Conditions):
    """The template as CloudFormation resolves it for one set of parameter values."""

    def __init__(self, name, template, overrides):
        super().__init__(template, parameter_values(template, SAMPLE_PARAMETERS, overrides))
        self.name = name

    def resources(self):
        return {name: self.resolve(resource) for name, resource in self.template.get("Resources", {}).items()
                if "Condition" not in resource or self.holds(resource["Condition"])}

    def broken_rules(self):
        """The names of the rules whose assertions fail for these parameter values."""
        broken = []
        for name, rule in self.template.get("Rules", {}).items():
            if "RuleCondition" in rule and not self.holds(rule["RuleCondition"]):
                continue
            if not all(self.holds(a["Assert"]) for a in rule.get("Assertions", [])):
                broken.append(name)
        return broken


def of_type(resources, kind):
    return {name: r.get("Properties", {}) for name, r in resources.items() if r.get("Type") == kind}


def one(report, resources, kind):
    found = of_type(resources, kind)
    if not report.check(len(found) == 1, f"{len(found)} {kind} resources, expected 1"):
        return None, {}
    return next(iter(found.items()))


def container_of(report, resources):
    _, task = one(report, resources, "AWS::ECS::TaskDefinition")
    containers = [c for c in task.get("ContainerDefinitions", []) if c.get("Name") == CONTAINER]
    if not report.check(len(containers) == 1, f"the task definition has {len(containers)} containers named "
                                              f"{CONTAINER}, expected 1"):
        return task, {}
    return task, containers[0]


def environment_of(container):
    return {e.get("Name"): e.get("Value") for e in container.get("Environment", [])}


def number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def refers_to(node, names):
    """Whether node refers to one of the parameter names (Ref, or ${Name} in a Sub)."""
    text = show(node)
    return any(f'"Ref": "{name}"' in text or "${" + name + "}" in text for name in names)


def scenarios(template):
    return [Scenario(name, template, overrides) for name, overrides in SCENARIOS.items()]


def defaults(template):
    """The resources as the default parameters (and a TOME token secret) make them."""
    return Scenario("defaults", template, SCENARIOS["token in Secrets Manager"]).resources()


def begin(report, group, template):
    """Starts a group of checks on the template as the default parameters make it: the template's
    parameters, and its resources as those parameters (and a TOME token secret) make them."""
    report.start(group)
    return template.get("Parameters", {}), defaults(template)


def check_text(report, text):
    check_dynamic_references(report, text, ("{{resolve:", "ssm-secure"),
                             "CloudFormation would resolve a secret into the task definition; secrets reach the "
                             "task through Secrets")


def check_parameters(report, template):
    report.start("parameters and rules")
    parameters = template.get("Parameters", {})
    cpu, memory = parameters.get("Cpu", {}), parameters.get("Memory", {})
    report.check(str(cpu.get("Default")) == "512" and str(memory.get("Default")) == "1024",
                 f"Cpu and Memory default to {cpu.get('Default')} and {memory.get('Default')}, expected 512 and 1024")
    unknown = [c for c in cpu.get("AllowedValues", []) if str(c) not in FARGATE_MEMORY]
    report.check(cpu.get("AllowedValues") and not unknown,
                 f"Cpu must list the Fargate CPU values it allows; {unknown or 'none'} are not Fargate's")
    for cpu_value in map(str, cpu.get("AllowedValues", [])):
        for memory_value in map(str, memory.get("AllowedValues", [])):
            scenario = Scenario("rules", template, {"Cpu": cpu_value, "Memory": memory_value,
                                                    **SCENARIOS["token in Secrets Manager"]})
            accepted = not scenario.broken_rules()
            valid = memory_value in FARGATE_MEMORY.get(cpu_value, [])
            report.check(accepted == valid, f"the rules {'accept' if accepted else 'refuse'} Cpu {cpu_value} with "
                                            f"Memory {memory_value}, which Fargate {'allows' if valid else 'refuses'}")
    for name, overrides in SCENARIOS.items():
        broken = Scenario(name, template, overrides).broken_rules()
        report.check(not broken, f"the defaults with {name} break the rules {broken}")
    both = Scenario("both", template, {**SCENARIOS["token in Secrets Manager"],
                                       "TomeAuthTokenParameterName": "/tome-pool/tome-token"}).broken_rules()
    neither = Scenario("neither", template, {}).broken_rules()
    report.check(both and neither, "the rules accept both TomeAuthTokenSecretArn and TomeAuthTokenParameterName, "
                                   "or neither; exactly one names the TOME token")
    report.done("Cpu and Memory default to 512 and 1024 and the rules accept exactly Fargate's pairs; "
                "exactly one of TomeAuthTokenSecretArn and TomeAuthTokenParameterName must be set")


def check_secrets(report, template):
    report.start("secrets")
    parameters = template.get("Parameters", {})
    for name in SECRET_ARN_PARAMETERS:
        parameter = parameters.get(name, {})
        report.check(parameter.get("Type") == "String" and "Default" not in parameter
                     and str(parameter.get("AllowedPattern", "")).endswith(":secret:.+-[A-Za-z0-9]{6}$"),
                     f"{name} is not a required parameter whose pattern asks for a secret's complete ARN (with its "
                     f"6-character suffix): {show(parameter)}")
    for scenario in scenarios(template):
        resources = scenario.resources()
        _, container = container_of(report, resources)
        secrets = {s.get("Name"): s.get("ValueFrom") for s in container.get("Secrets", [])}
        token = (ref("TomeAuthTokenSecretArn") if "TomeAuthTokenSecretArn" in SCENARIOS[scenario.name]
                 else PARAMETER_ARN)
        expected = {name: source or token for name, source in SECRETS.items()}
        report.check(secrets == expected, f"with the {scenario.name}, the container's Secrets are {show(secrets)}, "
                                          f"expected {show(expected)}")
        report.check("CARD_APP_METRICS_TOKEN" in secrets or "CARD_APP_METRICS_TOKEN" in environment_of(container),
                     "CARD_APP_METRICS_TOKEN is not set: /metrics, reachable through the load balancer, would answer "
                     "anyone who reaches it")
        for name, value in environment_of(container).items():
            report.check(name not in SECRETS, f"{name} is in Environment: a secret must come through Secrets")
            report.check(not SECRET_NAME.search(str(name)),
                         f"Environment has {name}, whose name says secret: pass it through Secrets")
            report.check(not refers_to(value, SECRET_PARAMETERS),
                         f"Environment variable {name} is made of a secret's parameter: {show(value)}")
        for option, value in container.get("LogConfiguration", {}).get("Options", {}).items():
            report.check(not refers_to(value, SECRET_PARAMETERS), f"log option {option} names a secret")
    report.done(f"{', '.join(SECRETS)} come through Secrets from their parameters (the TOME token from the "
                f"secret or the parameter); {', '.join(SECRET_ARN_PARAMETERS)} required complete ARNs; no secret, "
                "and no name that says secret, in Environment")


def execution_role(report, resources):
    _, task = one(report, resources, "AWS::ECS::TaskDefinition")
    role = task.get("ExecutionRoleArn")
    if not report.check(isinstance(role, dict) and "Fn::GetAtt" in role and role["Fn::GetAtt"][0] in resources,
                        f"the execution role is {show(role)}, not a role of the template's own"):
        return None, {}
    return role["Fn::GetAtt"][0], resources[role["Fn::GetAtt"][0]].get("Properties", {})


def statements(role):
    for policy in role.get("Policies", []):
        for statement in as_list(policy.get("PolicyDocument", {}).get("Statement", [])):
            yield statement


def trusts_ecs_tasks(role):
    trust = as_list(role.get("AssumeRolePolicyDocument", {}).get("Statement", []))
    return [s.get("Principal") for s in trust] == [{"Service": "ecs-tasks.amazonaws.com"}]


def check_execution_role(report, template):
    report.start("execution role")
    for scenario in scenarios(template):
        resources = scenario.resources()
        name, role = execution_role(report, resources)
        if name is None:
            continue
        overrides = SCENARIOS[scenario.name]
        wanted = {("secretsmanager:GetSecretValue", show(ref(name))) for name in SECRET_ARN_PARAMETERS}
        if "TomeAuthTokenSecretArn" in overrides:
            wanted.add(("secretsmanager:GetSecretValue", show(ref("TomeAuthTokenSecretArn"))))
        else:
            wanted.add(("ssm:GetParameters", show(PARAMETER_ARN)))
        if "SecretsKmsKeyArn" in overrides:
            wanted.add(("kms:Decrypt", show(ref("SecretsKmsKeyArn"))))
        granted = set()
        for statement in statements(role):
            report.check(not {"NotAction", "NotResource"} & set(statement),
                         "a statement uses NotAction or NotResource, which grant more than they name: "
                         f"{show(statement)}")
            if statement.get("Effect") != "Allow":
                continue
            actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
            # Only the grants the scenario expects may match what could read a secret.
            reading = [s for s in SECRET_ACTIONS if any(fnmatch.fnmatch(s.lower(), a.lower()) for a in actions)]
            for action in reading:
                for resource in as_list(statement.get("Resource", [])):
                    if (action, show(resource)) in wanted:
                        granted.add((action, show(resource)))
                    else:
                        report.fail(f"with the {scenario.name}, the execution role allows {action} on "
                                    f"{show(resource)}; only the secret parameters may be read")
        for action, resource in sorted(wanted - granted):
            report.fail(f"with the {scenario.name}, the execution role does not allow {action} on {resource}")
        report.check(role.get("ManagedPolicyArns", []) == [EXECUTION_MANAGED_POLICY],
                     f"the execution role's managed policies are {show(role.get('ManagedPolicyArns'))}, expected "
                     "AmazonECSTaskExecutionRolePolicy alone (ECR and logs, no secret)")
        report.check(trusts_ecs_tasks(role), f"{name} is not assumable by ecs-tasks.amazonaws.com alone")
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
        report.check(not of_type(template.get("Resources", {}), kind),
                     f"the template has an {kind}: grants live on the roles, where these checks read them")
    report.done("secretsmanager:GetSecretValue on exactly the secret parameters, ssm:GetParameters on the "
                "token's parameter only when it is one, kms:Decrypt only with SecretsKmsKeyArn; "
                "AmazonECSTaskExecutionRolePolicy for ECR and logs")


def check_task_role(report, template):
    _, resources = begin(report, "task role", template)
    _, task = one(report, resources, "AWS::ECS::TaskDefinition")
    role = task.get("TaskRoleArn")
    if report.check(isinstance(role, dict) and "Fn::GetAtt" in role and role["Fn::GetAtt"][0] in resources,
                    f"the task role is {show(role)}, not a role of the template's own"):
        name = role["Fn::GetAtt"][0]
        properties = resources[name].get("Properties", {})
        report.check(not properties.get("Policies") and not properties.get("ManagedPolicyArns"),
                     f"{name} allows something; card-app calls no AWS API")
        report.check(trusts_ecs_tasks(properties), f"{name} is not assumable by ecs-tasks.amazonaws.com alone")
        report.check(name != task.get("ExecutionRoleArn", {}).get("Fn::GetAtt", [None])[0],
                     "the task role is the execution role: the container would hold the secrets' grants")
    report.done("a task role of its own that allows nothing")


def check_container(report, template):
    _, resources = begin(report, "container", template)
    task, container = container_of(report, resources)
    user = container.get("User")
    numeric = re.fullmatch(r"(\d+)(?::(\d+))?", str(user)) if user is not None else None
    report.check(numeric is not None, f"User is {show(user)}: a numeric uid:gid, so no name lookup in the image")
    if numeric:
        report.check(all(int(g) != 0 for g in numeric.groups() if g is not None),
                     f"User is {user}: root (uid or gid 0)")
    report.check(container.get("ReadonlyRootFilesystem") is True, "ReadonlyRootFilesystem is not true")
    report.check(container.get("Privileged") in (None, False), "the container is privileged")
    report.check("ALL" in container.get("LinuxParameters", {}).get("Capabilities", {}).get("Drop", []),
                 "the container keeps its Linux capabilities (Drop: [ALL])")
    report.check(not container.get("LinuxParameters", {}).get("Capabilities", {}).get("Add"),
                 "the container adds Linux capabilities")
    report.check(container.get("Image") == {"Fn::Sub": "${ImageRepository}:${ImageTag}"},
                 f"Image is {show(container.get('Image'))}, expected ${{ImageRepository}}:${{ImageTag}}")
    command = container.get("Command", [])
    options = dict(zip(command[1::2], command[2::2])) if command[:1] == ["serve"] else {}
    report.check(command[:1] == ["serve"] and options.get("--host") == "0.0.0.0" and options.get("--port") == str(PORT),
                 f"Command is {show(command)}, expected serve --host 0.0.0.0 --port {PORT} (the entrypoint is the "
                 "binary alone; card-app listens on 127.0.0.1 by default)")
    ports = [(p.get("ContainerPort"), p.get("Protocol", "tcp")) for p in container.get("PortMappings", [])]
    report.check(ports == [(PORT, "tcp")], f"PortMappings are {ports}, expected [({PORT}, 'tcp')]")
    report.check(container.get("Essential", True) is True, "the container is not essential")
    report.check(task.get("RequiresCompatibilities") == ["FARGATE"] and task.get("NetworkMode") == "awsvpc",
                 "the task definition is not for FARGATE with awsvpc networking")
    report.check(task.get("Cpu") == ref("Cpu") and task.get("Memory") == ref("Memory"),
                 "the task's Cpu and Memory are not the Cpu and Memory parameters")
    check = container.get("HealthCheck", {}).get("Command", [])
    report.check(not check or check[0] != "CMD-SHELL" and not any("curl" in str(c) for c in check),
                 f"the container health check {show(check)} needs a shell or curl, which the image lacks")
    report.done(f"user {user}, read-only root file system, capabilities dropped, the image from its two "
                f"parameters, serve --host 0.0.0.0 --port {PORT}")


def check_sources(report, repo_root):
    report.start("card-app's sources")
    for path, facts in SOURCE_FACTS.items():
        full = os.path.join(repo_root, path)
        source = None
        if os.path.exists(full):
            with open(full, encoding="utf-8") as file:
                source = file.read()
        for pattern, expected, what in facts:
            if not report.check(source is not None, f"{path} is missing; it states {what}"):
                continue
            match = re.search(pattern, source)
            if not report.check(match is not None, f"{path} no longer states {what} ({pattern})"):
                continue
            if expected is not None:
                report.check(int(match.group(1)) == expected,  # int() reads Swift's 3_600 too
                             f"{path} puts {what} at {match.group(1)} s; these checks assume {expected} s")
    report.done(f"a database step {DATABASE_STEP_S} s, Retry-After at most {RETRY_AFTER_CAP_S} s, readiness "
                f"{READINESS_S} s, TOME_REQUEST_TIMEOUT_MS and TOME_MAX_ATTEMPTS, serve --host --port, SIGTERM "
                f"drains for CARD_APP_DRAIN_SECONDS (at most {DRAIN_MAX_S} s), then cancels within "
                f"{CANCELLATION_S} s, CARD_APP_IDLE_TIMEOUT_SECONDS at most {IDLE_MAX_S} s: as these checks assume")


def longest_request_s(report, environment):
    """card-app's longest request under these settings: a card creation's database steps, or a
    detokenize's lookup and then TOME's NS2 detokenize with every attempt and wait."""
    attempts = number(environment.get("TOME_MAX_ATTEMPTS"))
    timeout_ms = number(environment.get("TOME_REQUEST_TIMEOUT_MS"))
    if not report.check(attempts is not None and attempts >= 1 and timeout_ms is not None and timeout_ms >= 1,
                        "the task does not set TOME_MAX_ATTEMPTS and TOME_REQUEST_TIMEOUT_MS, so its longest "
                        "request depends on the binary's defaults"):
        return None
    tome = attempts * timeout_ms / 1000 + (attempts - 1) * RETRY_AFTER_CAP_S
    return max(CARD_CREATION_STEPS * DATABASE_STEP_S, DATABASE_STEP_S + tome)


def task_settings(report, resources):
    """The card-app container, its Environment, and its longest request under those settings."""
    _, container = container_of(report, resources)
    environment = environment_of(container)
    return container, environment, longest_request_s(report, environment)


def check_drain(report, template):
    _, resources = begin(report, "drain", template)
    container, environment, longest = task_settings(report, resources)
    drain = number(environment.get("CARD_APP_DRAIN_SECONDS"))
    report.check(drain is not None and 1 <= drain <= DRAIN_MAX_S,
                 f"CARD_APP_DRAIN_SECONDS is {show(environment.get('CARD_APP_DRAIN_SECONDS'))}: the task must set it, "
                 f"from 1 to {DRAIN_MAX_S} (card-app refuses others), since StopTimeout depends on it")
    stop = container.get("StopTimeout")
    report.check(isinstance(stop, int) and stop <= FARGATE_STOP_TIMEOUT_MAX_S,
                 f"StopTimeout is {show(stop)}: Fargate allows at most {FARGATE_STOP_TIMEOUT_MAX_S} s")
    _, group = one(report, resources, "AWS::ElasticLoadBalancingV2::TargetGroup")
    delay = number({a.get("Key"): a.get("Value") for a in group.get("TargetGroupAttributes", [])}
                   .get("deregistration_delay.timeout_seconds"))
    report.check(delay is not None, "the target group sets no deregistration_delay.timeout_seconds (ELB's "
                                    "default is 300 s, past any StopTimeout)")
    if longest is not None and isinstance(stop, int) and delay is not None and drain is not None:
        report.check(stop >= longest, f"StopTimeout {stop} s is shorter than card-app's longest request, "
                                      f"{longest:g} s")
        report.check(longest <= delay <= stop, f"the deregistration delay is {delay} s; it must cover the longest "
                                               f"request ({longest:g} s) and end within StopTimeout ({stop} s)")
        report.check(drain >= longest, f"CARD_APP_DRAIN_SECONDS is {drain} s, shorter than card-app's longest "
                                       f"request ({longest:g} s): a request in flight at SIGTERM would be cancelled")
        report.check(drain + CANCELLATION_S < stop,
                     f"CARD_APP_DRAIN_SECONDS {drain} s and the {CANCELLATION_S} s of cancellation after it reach "
                     f"StopTimeout ({stop} s): SIGKILL would come before card-app exits on its own")
        report.done(f"longest request {longest:g} s <= deregistration delay {delay} s <= StopTimeout {stop} s "
                    f"<= {FARGATE_STOP_TIMEOUT_MAX_S} s; longest request <= CARD_APP_DRAIN_SECONDS {drain} s, and "
                    f"{drain} + {CANCELLATION_S} s of cancellation < StopTimeout")
    else:
        report.done("")


def check_idle_timeouts(report, template):
    """The load balancer's idle timeout is longer than the longest request (else it answers 504 while
    card-app works), and card-app's is longer than the load balancer's, as the ELB guide advises: the
    load balancer then closes an idle connection first and never sends a request on one card-app is
    closing (a 502)."""
    _, resources = begin(report, "idle timeouts", template)
    _, environment, longest = task_settings(report, resources)
    _, balancer = one(report, resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    balancer_idle = number({a.get("Key"): a.get("Value") for a in balancer.get("LoadBalancerAttributes", [])}
                           .get("idle_timeout.timeout_seconds")) or ELB_IDLE_TIMEOUT_DEFAULT_S
    app_idle = number(environment.get("CARD_APP_IDLE_TIMEOUT_SECONDS"))
    report.check(app_idle is not None and 1 <= app_idle <= IDLE_MAX_S,
                 f"CARD_APP_IDLE_TIMEOUT_SECONDS is {show(environment.get('CARD_APP_IDLE_TIMEOUT_SECONDS'))}: the "
                 f"task must set it, from 1 to {IDLE_MAX_S} (card-app refuses others), since it must exceed the load "
                 "balancer's idle timeout")
    if longest is not None:
        report.check(balancer_idle > longest,
                     f"the load balancer's idle timeout ({balancer_idle} s) ends before the longest request "
                     f"({longest:g} s): it would answer 504 where card-app answers itself")
    if app_idle is not None:
        report.check(app_idle > balancer_idle,
                     f"card-app's idle timeout (CARD_APP_IDLE_TIMEOUT_SECONDS, {app_idle} s) is not longer than the "
                     f"load balancer's ({balancer_idle} s): card-app could close a kept-alive connection as the load "
                     "balancer sends a request on it, which the client gets as a 502")
    report.done(f"longest request {longest if longest is None else format(longest, 'g')} s < the load balancer's "
                f"idle timeout {balancer_idle} s < card-app's {app_idle} s")


# What LoadBalancerSubnetCidrs must accept (subnets are /16 to /28) and refuse: a range wider than a
# subnet, trusted, would let whoever sends from it name any source in the audit trail.
SUBNET_CIDRS_ACCEPTED = ["10.0.0.0/16", "10.0.128.0/24", "192.168.10.240/28"]
SUBNET_CIDRS_REFUSED = ["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/15", "10.0.0.16/29", "10.0.0.1", "10.0.0.0/24,10.0.1.0/24",
                        "fd00::/8", ""]


def check_client_addresses(report, template):
    parameters, resources = begin(report, "client addresses", template)
    _, container = container_of(report, resources)
    proxies = environment_of(container).get("CARD_APP_TRUSTED_PROXIES")
    wanted = {"Fn::Join": [",", ref("LoadBalancerSubnetCidrs")]}
    report.check(proxies == wanted, f"CARD_APP_TRUSTED_PROXIES is {show(proxies)}, expected {show(wanted)}: the "
                                    "load balancer's nodes, whose X-Forwarded-For names the client in audit records")
    cidrs = parameters.get("LoadBalancerSubnetCidrs", {})
    pattern = cidrs.get("AllowedPattern")
    report.check(cidrs.get("Type") == "CommaDelimitedList" and "Default" not in cidrs and pattern,
                 f"LoadBalancerSubnetCidrs is not a required CommaDelimitedList with an AllowedPattern: {show(cidrs)}")
    if pattern:
        # CloudFormation matches a CommaDelimitedList's pattern against each value.
        for value in SUBNET_CIDRS_ACCEPTED + list(SAMPLE_PARAMETERS["LoadBalancerSubnetCidrs"]):
            report.check(re.search(pattern, value),
                         f"LoadBalancerSubnetCidrs' pattern refuses {value}, a subnet's CIDR")
        for value in SUBNET_CIDRS_REFUSED:
            report.check(not re.search(pattern, value),
                         f"LoadBalancerSubnetCidrs' pattern accepts {value!r}, which is not one subnet's IPv4 CIDR")
    _, balancer = one(report, resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a.get("Key"): a.get("Value") for a in balancer.get("LoadBalancerAttributes", [])}
    mode = attributes.get("routing.http.xff_header_processing.mode", "append")
    report.check(mode == "append", f"the load balancer's X-Forwarded-For mode is {mode}: only append adds the "
                                   "address it saw, which card-app records as the client")
    report.check(attributes.get("routing.http.xff_client_port.enabled", "false") == "false",
                 "the load balancer adds the client's port to X-Forwarded-For, which card-app does not read as an "
                 "address")
    report.done("CARD_APP_TRUSTED_PROXIES is the load balancer's subnets (LoadBalancerSubnetCidrs, required, one "
                "subnet-sized IPv4 CIDR each); the load balancer appends the client's address to X-Forwarded-For")


def private(cidr):
    try:
        network = ipaddress.ip_network(str(cidr))
    except ValueError:
        return False
    return any(network.subnet_of(ipaddress.ip_network(p)) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def check_load_balancer(report, template):
    parameters, resources = begin(report, "load balancer", template)
    balancer_name, balancer = one(report, resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    scheme = parameters.get("LoadBalancerScheme", {})
    report.check(balancer.get("Scheme") == ref("LoadBalancerScheme") and scheme.get("Default") == "internal"
                 and set(scheme.get("AllowedValues", [])) == {"internal", "internet-facing"},
                 "the load balancer's Scheme is not the LoadBalancerScheme parameter (internal by default)")
    report.check(balancer.get("Type", "application") == "application", "the load balancer is not an application one")
    report.check(balancer.get("Subnets") == ref("LoadBalancerSubnetIds")
                 and parameters.get("LoadBalancerSubnetIds", {}).get("Type") == "List<AWS::EC2::Subnet::Id>",
                 "the load balancer's Subnets are not the LoadBalancerSubnetIds list parameter")
    check_listeners(report, resources, balancer_name)
    policy = parameters.get("TlsPolicy", {})
    report.check(re.fullmatch(r"ELBSecurityPolicy-TLS13-1-[23]-[A-Za-z0-9-]+", str(policy.get("Default")))
                 and str(policy.get("AllowedPattern", "")).startswith("^ELBSecurityPolicy-TLS13-1-[23]-"),
                 f"TlsPolicy defaults to {policy.get('Default')} or allows other than TLS13-1-2/1-3 policies")
    security_groups = of_type(resources, "AWS::EC2::SecurityGroup")
    groups = [security_group_ref(g, security_groups) for g in balancer.get("SecurityGroups", [])]
    if report.check(len(groups) == 1 and groups[0], f"the load balancer's security groups are "
                                                    f"{show(balancer.get('SecurityGroups'))}, expected one of the "
                                                    "template's own"):
        rules = [(r.get("IpProtocol"), r.get("FromPort"), r.get("ToPort"), r.get("CidrIp"), r.get("CidrIpv6"),
                  r.get("SourceSecurityGroupId"), r.get("SourcePrefixListId"))
                 for r in ingress_of(resources, groups[0])]
        report.check(rules == [("tcp", 443, 443, ref("AllowedCidr"), None, None, None)],
                     f"the load balancer's ingress is {show(rules)}, expected tcp 443 from AllowedCidr only")
    allowed = parameters.get("AllowedCidr", {}).get("Default")
    report.check(private(allowed), f"AllowedCidr defaults to {allowed}, not a private range")
    report.done("internal by default; HTTPS on 443 with the CertificateArn and TlsPolicy parameters (a TLS 1.3 "
                f"policy by default), forwarding to the target group; 443 from AllowedCidr ({allowed}) only")


def check_listeners(report, resources, balancer_name):
    listeners = of_type(resources, "AWS::ElasticLoadBalancingV2::Listener")
    target_name, _ = one(report, resources, "AWS::ElasticLoadBalancingV2::TargetGroup")
    report.check(any(l.get("Protocol") == "HTTPS" for l in listeners.values()), "no HTTPS listener")
    for name, listener in listeners.items():
        report.check(listener.get("LoadBalancerArn") == ref(balancer_name), f"{name} is not on {balancer_name}")
        actions = listener.get("DefaultActions", [])
        if listener.get("Protocol") != "HTTPS":
            report.check(all(a.get("Type") == "redirect" and a.get("RedirectConfig", {}).get("Protocol") == "HTTPS"
                             for a in actions),
                         f"{name} is {listener.get('Protocol')} and does more than redirect to HTTPS")
            continue
        report.check(listener.get("Port") == 443, f"{name} listens on {listener.get('Port')}, expected 443")
        report.check(listener.get("Certificates") == [{"CertificateArn": ref("CertificateArn")}],
                     f"{name}'s certificate is not the CertificateArn parameter")
        report.check(listener.get("SslPolicy") == ref("TlsPolicy"),
                     f"{name}'s SslPolicy is not the TlsPolicy parameter")
        report.check(actions == [{"Type": "forward", "TargetGroupArn": ref(target_name)}],
                     f"{name} does not forward to {target_name}")


def check_target_group(report, template):
    _, resources = begin(report, "target group", template)
    _, group = one(report, resources, "AWS::ElasticLoadBalancingV2::TargetGroup")
    expected = {"TargetType": "ip", "Protocol": "HTTP", "Port": PORT, "HealthCheckPath": "/health/ready",
                "Matcher": {"HttpCode": "200"}, "VpcId": ref("VpcId")}
    for key, value in expected.items():
        report.check(group.get(key) == value,
                     f"the target group's {key} is {show(group.get(key))}, expected {show(value)}")
    report.check(group.get("HealthCheckProtocol", "HTTP") == "HTTP", "the health check is not HTTP")
    timeout = number(group.get("HealthCheckTimeoutSeconds")) or 5
    report.check(timeout > READINESS_S, f"the health check waits {timeout} s; readiness takes up to {READINESS_S} s")
    report.done(f"targets ip:{PORT} over HTTP, checked on /health/ready for 200 within {timeout} s")


def ingress_of(resources, group):
    """The ingress rules of a security group: inline, and AWS::EC2::SecurityGroupIngress resources."""
    security_groups = of_type(resources, "AWS::EC2::SecurityGroup")
    rules = list(security_groups[group].get("SecurityGroupIngress", []))
    return rules + [p for p in of_type(resources, "AWS::EC2::SecurityGroupIngress").values()
                    if security_group_ref(p.get("GroupId"), security_groups) == group]


def security_group_ref(node, security_groups):
    if isinstance(node, dict) and node.get("Ref") in security_groups:
        return node["Ref"]
    if isinstance(node, dict) and "Fn::GetAtt" in node and node["Fn::GetAtt"][1] == "GroupId" \
            and node["Fn::GetAtt"][0] in security_groups:
        return node["Fn::GetAtt"][0]
    return None


def check_network(report, template):
    parameters, resources = begin(report, "service network", template)
    _, service = one(report, resources, "AWS::ECS::Service")
    _, balancer = one(report, resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    security_groups = of_type(resources, "AWS::EC2::SecurityGroup")
    network = service.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
    report.check(network.get("AssignPublicIp") == "DISABLED", "the tasks get a public IP (AssignPublicIp)")
    report.check(network.get("Subnets") == ref("TaskSubnetIds")
                 and parameters.get("TaskSubnetIds", {}).get("Type") == "List<AWS::EC2::Subnet::Id>",
                 "the tasks' Subnets are not the TaskSubnetIds list parameter (List<AWS::EC2::Subnet::Id>)")
    groups = [security_group_ref(g, security_groups) for g in network.get("SecurityGroups", [])]
    balancer_group = [security_group_ref(g, security_groups) for g in balancer.get("SecurityGroups", [])]
    if not report.check(len(groups) == 1 and groups[0] and groups[0] not in balancer_group,
                        f"the service's security groups are {show(network.get('SecurityGroups'))}, expected one of "
                        "the template's own, not the load balancer's"):
        report.done("")
        return
    ingress = ingress_of(resources, groups[0])
    report.check(ingress, f"{groups[0]} lets nothing in; the load balancer must reach port {PORT}")
    for rule in ingress:
        source = security_group_ref(rule.get("SourceSecurityGroupId"), security_groups)
        wide = {"CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupOwnerId"} & set(rule)
        report.check(not wide and source in balancer_group and rule.get("IpProtocol") == "tcp"
                     and rule.get("FromPort") == PORT and rule.get("ToPort") == PORT,
                     f"{groups[0]} lets in {show(rule)}; only tcp {PORT} from the load balancer's group")
    check_database_ingress(report, template, groups[0])
    report.done(f"tasks in the TaskSubnetIds list without a public IP; their group lets in tcp {PORT} from the "
                "load balancer's group only; with DatabaseSecurityGroupId, the database's group lets them in "
                "before the service starts")


def check_database_ingress(report, template, tasks_group):
    """With DatabaseSecurityGroupId, one rule lets the tasks' group in on DatabasePort, and the service
    refers to it, so that CloudFormation creates it first (card-app connects to the database at start)."""
    resources = Scenario("database group", template, {**SCENARIOS["token in Secrets Manager"],
                                                      "DatabaseSecurityGroupId": "sg-0123456789abcdef0"}).resources()
    rules = {name: p for name, p in of_type(resources, "AWS::EC2::SecurityGroupIngress").items()
             if p.get("GroupId") == ref("DatabaseSecurityGroupId")}
    expected = {"IpProtocol": "tcp", "FromPort": ref("DatabasePort"), "ToPort": ref("DatabasePort"),
                "SourceSecurityGroupId": ref(tasks_group)}
    if report.check(len(rules) == 1, f"{len(rules)} rules on DatabaseSecurityGroupId, expected one for the tasks"):
        (name, rule), = rules.items()
        report.check(all(rule.get(k) == v for k, v in expected.items()) and not {"CidrIp", "CidrIpv6"} & set(rule),
                     f"{name} is {show(rule)}: it must let in {tasks_group} on DatabasePort only")
        _, service = one(report, resources, "AWS::ECS::Service")
        report.check(f'"Ref": "{name}"' in show(service),
                     f"the service does not refer to {name}, so its tasks may start before the database lets them in")
    default = [p for p in of_type(defaults(template), "AWS::EC2::SecurityGroupIngress").values()
               if p.get("GroupId") == ref("DatabaseSecurityGroupId")]
    report.check(not default, "without DatabaseSecurityGroupId the stack still adds a rule to it")


def check_service(report, template):
    parameters, resources = begin(report, "service", template)
    service_name, service = one(report, resources, "AWS::ECS::Service")
    cluster_name, cluster = one(report, resources, "AWS::ECS::Cluster")
    task_name, _ = one(report, resources, "AWS::ECS::TaskDefinition")
    target_name, _ = one(report, resources, "AWS::ElasticLoadBalancingV2::TargetGroup")
    listeners = set(of_type(resources, "AWS::ElasticLoadBalancingV2::Listener"))
    fargate = service.get("LaunchType") == "FARGATE" or (
        service.get("CapacityProviderStrategy")
        and all(s.get("CapacityProvider") in ("FARGATE", "FARGATE_SPOT") for s in service["CapacityProviderStrategy"]))
    report.check(fargate, "the service does not run on Fargate (LaunchType or a FARGATE capacity provider)")
    report.check(service.get("Cluster") == ref(cluster_name) and service.get("TaskDefinition") == ref(task_name),
                 "the service is not the template's cluster and task definition")
    desired = parameters.get("DesiredCount", {})
    report.check(service.get("DesiredCount") == ref("DesiredCount")
                 and (number(desired.get("Default")) or 0) >= 2 and (number(desired.get("MinValue")) or 0) >= 2,
                 f"DesiredCount is {show(service.get('DesiredCount'))}; the DesiredCount parameter must default to "
                 "2 or more with MinValue 2 or more")
    deployment = service.get("DeploymentConfiguration", {})
    report.check(deployment.get("DeploymentCircuitBreaker") == {"Enable": True, "Rollback": True},
                 "the deployment circuit breaker is not on with rollback")
    report.check(deployment.get("MinimumHealthyPercent") == 100 and deployment.get("MaximumPercent") == 200,
                 "deployments are not MinimumHealthyPercent 100, MaximumPercent 200")
    report.check((number(service.get("HealthCheckGracePeriodSeconds")) or 0) > 0, "no health check grace period")
    report.check(service.get("LoadBalancers") == [{"ContainerName": CONTAINER, "ContainerPort": PORT,
                                                   "TargetGroupArn": ref(target_name)}],
                 f"the service does not register {CONTAINER}:{PORT} with {target_name}")
    depends = set(as_list(template.get("Resources", {}).get(service_name, {}).get("DependsOn", [])))
    report.check(listeners and listeners <= depends, "the service does not depend on the listener (ECS refuses a "
                                                     "target group no load balancer uses yet)")
    report.check({"Name": "containerInsights", "Value": "enabled"} in cluster.get("ClusterSettings", [])
                 or {"Name": "containerInsights", "Value": "enhanced"} in cluster.get("ClusterSettings", []),
                 "Container Insights is not on for the cluster")
    report.done("on Fargate, DesiredCount from a parameter of 2 or more, circuit breaker with rollback, "
                "100/200 % deployments, a grace period, Container Insights")


def check_scaling(report, template):
    parameters, resources = begin(report, "auto scaling", template)
    service_name, _ = one(report, resources, "AWS::ECS::Service")
    cluster_name, _ = one(report, resources, "AWS::ECS::Cluster")
    target_name, target = one(report, resources, "AWS::ApplicationAutoScaling::ScalableTarget")
    report.check(target.get("ServiceNamespace") == "ecs"
                 and target.get("ScalableDimension") == "ecs:service:DesiredCount"
                 and target.get("ResourceId") == {"Fn::Sub": f"service/${{{cluster_name}}}/${{{service_name}.Name}}"},
                 f"the scalable target is not the service's desired count: {show(target.get('ResourceId'))}")
    low, high = parameters.get("MinCapacity", {}), parameters.get("MaxCapacity", {})
    report.check(target.get("MinCapacity") == ref("MinCapacity") and (number(low.get("Default")) or 0) >= 2
                 and (number(low.get("MinValue")) or 0) >= 2,
                 "MinCapacity is not a parameter defaulting to 2 or more with MinValue 2 or more")
    report.check(target.get("MaxCapacity") == ref("MaxCapacity")
                 and (number(high.get("Default")) or 0) >= (number(low.get("Default")) or 0),
                 "MaxCapacity is not a parameter defaulting to MinCapacity's default or more")
    policies = [p for p in of_type(resources, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
                if p.get("ScalingTargetId") == ref(target_name)]
    metrics = [p.get("TargetTrackingScalingPolicyConfiguration", {}).get("PredefinedMetricSpecification", {})
               .get("PredefinedMetricType") for p in policies if p.get("PolicyType") == "TargetTrackingScaling"]
    report.check(any(m in ("ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget") for m in metrics),
                 f"no target-tracking policy on CPU or requests per target for {target_name} ({metrics})")
    report.done(f"target tracking on {', '.join(m for m in metrics if m)} between MinCapacity (default "
                f"{low.get('Default')}) and MaxCapacity (default {high.get('Default')})")


def check_logs(report, template):
    parameters, resources = begin(report, "logs", template)
    group_name, group = one(report, resources, "AWS::Logs::LogGroup")
    retention = parameters.get("LogRetentionDays", {})
    report.check(group.get("RetentionInDays") == ref("LogRetentionDays"),
                 "the log group's RetentionInDays is not the LogRetentionDays parameter")
    allowed = retention.get("AllowedValues", [])
    report.check(allowed and set(allowed) <= set(LOG_RETENTION_DAYS) and retention.get("Default") in allowed,
                 f"LogRetentionDays allows {allowed} (default {retention.get('Default')}); CloudWatch Logs keeps "
                 f"only {LOG_RETENTION_DAYS}")
    _, container = container_of(report, resources)
    logging = container.get("LogConfiguration", {})
    options = logging.get("Options", {})
    report.check(logging.get("LogDriver") == "awslogs" and options.get("awslogs-group") == ref(group_name)
                 and options.get("awslogs-region") == ref("AWS::Region") and options.get("awslogs-stream-prefix"),
                 f"the container does not log to {group_name} with awslogs: {show(logging)}")
    report.check(options.get("mode") == "blocking", "the awslogs mode is not blocking: in non-blocking mode a full "
                                                    "buffer drops lines, audit records among them")
    report.check(environment_of(container).get("LOG_FORMAT") == "json", "LOG_FORMAT is not json")
    report.done(f"awslogs (blocking) to {group_name}, kept LogRetentionDays (default {retention.get('Default')}); "
                "JSON lines")


def check_names(report, template):
    report.start("names")
    for name, resource in template.get("Resources", {}).items():
        for property in FIXED_NAMES.get(resource.get("Type"), []):
            report.check(property not in resource.get("Properties", {}),
                         f"{name} has a fixed {property}: two stacks in one account and Region would collide")
    report.done("no fixed LogGroupName, ClusterName, ServiceName, Family, load balancer or target group Name, "
                "RoleName, GroupName or AlarmName")


def check_alarms(report, template):
    _, resources = begin(report, "alarms", template)
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    missing = set(ALARMS) - set(alarms)
    report.check(not missing, f"missing alarms: {', '.join(sorted(missing))}")
    for name, (metric, dimensions, operator, threshold, periods, missing_data) in ALARMS.items():
        alarm = alarms.get(name)
        if alarm is None:
            continue
        want = [{"Name": d, "Value": DIMENSIONS[d]} for d in dimensions]
        report.check(alarm.get("Namespace") == "AWS/ApplicationELB" and alarm.get("MetricName") == metric
                     and alarm.get("Dimensions") == want,
                     f"{name} watches {alarm.get('MetricName')} {show(alarm.get('Dimensions'))}, "
                     f"expected {metric} {show(want)}")
        report.check(alarm.get("ComparisonOperator") == operator and alarm.get("Threshold") == threshold
                     and alarm.get("EvaluationPeriods") == periods
                     and alarm.get("DatapointsToAlarm", periods) == periods,
                     f"{name} alarms when {alarm.get('ComparisonOperator')} {alarm.get('Threshold')} for "
                     f"{alarm.get('DatapointsToAlarm')} of {alarm.get('EvaluationPeriods')}, expected {operator} "
                     f"{threshold} for {periods} of {periods}")
        report.check(alarm.get("TreatMissingData") == missing_data,
                     f"{name} treats missing data as {alarm.get('TreatMissingData')}, expected {missing_data}")
        report.check("ecs/README.md" in alarm.get("AlarmDescription", ""),
                     f"{name}'s description does not point to the runbook in ecs/README.md")
    for name in alarms:
        raw = template["Resources"][name]["Properties"]
        notify = {"Fn::If": ["HasAlarmTopic", [ref("AlarmTopicArn")], NO_VALUE]}
        report.check(raw.get("AlarmActions") == notify and raw.get("OKActions") == notify,
                     f"{name} does not notify AlarmTopicArn when it is set")
    report.done(f"{', '.join(sorted(ALARMS))} watch the load balancer's metrics and notify AlarmTopicArn")


def check_outputs(report, template):
    _, resources = begin(report, "outputs", template)
    balancer, _ = one(report, resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    group, _ = one(report, resources, "AWS::Logs::LogGroup")
    cluster, _ = one(report, resources, "AWS::ECS::Cluster")
    service, properties = one(report, resources, "AWS::ECS::Service")
    security_groups = of_type(resources, "AWS::EC2::SecurityGroup")
    tasks_groups = {security_group_ref(g, security_groups)
                    for g in properties.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
                    .get("SecurityGroups", [])} - {None}
    values = [o.get("Value") for o in template.get("Outputs", {}).values()]
    for wanted, what in (({"Fn::Sub": f"https://${{{balancer}.DNSName}}"}, "the service URL"),
                         (ref(group), "the log group"), (get_att(service, "Name"), "the service name"),
                         (ref(cluster), "the cluster name")):
        report.check(wanted in values, f"no output gives {what} ({show(wanted)})")
    report.check(any(security_group_ref(v, security_groups) in tasks_groups for v in values),
                 "no output gives the tasks' security group, which the database must let in")
    report.done("the service URL, the log group, the cluster, the service and the tasks' security group")


def check_all(report, template, text, repo_root):
    check_text(report, text)
    for check in (check_parameters, check_secrets, check_execution_role, check_task_role, check_container,
                  check_client_addresses, check_load_balancer, check_target_group, check_network, check_service,
                  check_scaling, check_logs,
                  check_names, check_alarms, check_outputs):
        check(report, template)
    check_drain(report, template)
    check_idle_timeouts(report, template)
    check_sources(report, repo_root)


def run_mutants(template, repo_root):
    """Each mutant must fail the checks; the unmutated template must pass them first."""
    from template_mutants import MUTANTS
    report = Report(quiet=True)
    check_all(report, template, json.dumps(template), repo_root)
    if report.failed:
        print(f"error: mutants: the template itself fails {report.failed_groups}; mutants would prove nothing")
        return 1
    failed = False
    for description, mutate in MUTANTS:
        mutant = copy.deepcopy(template)
        try:
            mutate(mutant)
        except (KeyError, StopIteration, IndexError) as error:
            print(f"error: mutants: {description}: the mutation no longer applies to the template ({error!r})")
            failed = True
            continue
        report = Report(quiet=True)
        try:
            check_all(report, mutant, json.dumps(mutant), repo_root)
        except Exception as error:  # a check that crashes on a mutant has not judged it
            print(f"error: mutants: {description}: the checks crashed ({error!r})")
            failed = True
            continue
        if report.failed:
            print(f"ok: mutants: {description}: caught by {', '.join(report.failed_groups)}")
        else:
            print(f"error: mutants: {description}: passes every check")
            failed = True
    return 1 if failed else 0


def main():
    args = arguments(__doc__, os.path.join("ecs", "template.yaml"),
                     repo_root_help="where Sources/ is, whose bounds the drain checks read",
                     mutants_help="check that every built-in mutant of the template fails the checks")

    text, template = load(args.template)
    if args.mutants:
        return run_mutants(template, args.repo_root)
    report = Report()
    check_all(report, template, text, args.repo_root)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())

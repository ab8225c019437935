"""Mutants of ecs/template.yaml: each puts one fault into the template that ecs/check_template.py
must catch. `check_template.py --mutants` runs them; a mutant that passes every check shows a check
that passes vacuously, and a mutation that no longer applies shows a list that fell behind the
template. Each entry is (what the fault is, a function that puts it into a parsed template)."""


def properties(template, name):
    return template["Resources"][name]["Properties"]


def container(template):
    return next(c for c in properties(template, "TaskDefinition")["ContainerDefinitions"] if c["Name"] == "card-app")


def move_secret_to_environment(name):
    def mutate(template):
        definition = container(template)
        secret = next(s for s in definition["Secrets"] if s["Name"] == name)
        definition["Secrets"].remove(secret)
        definition["Environment"].append({"Name": name, "Value": secret["ValueFrom"]})
    return mutate


def remove_secret(name):
    def mutate(template):
        definition = container(template)
        definition["Secrets"].remove(next(s for s in definition["Secrets"] if s["Name"] == name))
    return mutate


def set_container(key, value):
    def mutate(template):
        container(template)[key] = value
    return mutate


def delete_container(key):
    def mutate(template):
        del container(template)[key]
    return mutate


def set_environment(name, value):
    def mutate(template):
        variables = container(template)["Environment"]
        for variable in variables:
            if variable["Name"] == name:
                variable["Value"] = value
                return
        variables.append({"Name": name, "Value": value})
    return mutate


def remove_environment(name):
    def mutate(template):
        variables = container(template)["Environment"]
        variables.remove(next(v for v in variables if v["Name"] == name))
    return mutate


def set_property(resource, path, value):
    def mutate(template):
        node = properties(template, resource)
        for key in path[:-1]:
            node = node[key]
        if path[-1] not in node:
            raise KeyError(path[-1])
        node[path[-1]] = value
    return mutate


def add_property(resource, key, value):
    def mutate(template):
        properties(template, resource)[key] = value
    return mutate


def set_attribute(resource, listname, key, value):
    def mutate(template):
        attribute = next(a for a in properties(template, resource)[listname] if a["Key"] == key)
        attribute["Value"] = value
    return mutate


def set_parameter(name, key, value):
    def mutate(template):
        template["Parameters"][name][key] = value
    return mutate


def add_statement(statement):
    def mutate(template):
        properties(template, "ExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"].append(statement)
    return mutate


def unconditional_kms(template):
    statements = properties(template, "ExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"]
    index = next(i for i, s in enumerate(statements) if "Fn::If" in s and s["Fn::If"][0] == "HasSecretsKmsKey")
    statements[index] = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}


def remove_resource(name):
    def mutate(template):
        del template["Resources"][name]
    return mutate


def replace_assertion(rule, assertion):
    def mutate(template):
        template["Rules"][rule]["Assertions"][0]["Assert"] = assertion
    return mutate


def drop_rule(rule):
    def mutate(template):
        del template["Rules"][rule]
    return mutate


def open_service_ingress(template):
    rule = properties(template, "ServiceIngressFromLoadBalancer")
    del rule["SourceSecurityGroupId"]
    rule["CidrIp"] = "0.0.0.0/0"


MUTANTS = [
    ("DATABASE_URL moved to Environment", move_secret_to_environment("DATABASE_URL")),
    ("TOME_AUTH_TOKEN moved to Environment", move_secret_to_environment("TOME_AUTH_TOKEN")),
    ("CARD_APP_CLIENTS moved to Environment", move_secret_to_environment("CARD_APP_CLIENTS")),
    ("CARD_APP_AUDIT_KEY moved to Environment", move_secret_to_environment("CARD_APP_AUDIT_KEY")),
    ("CARD_APP_METRICS_TOKEN moved to Environment", move_secret_to_environment("CARD_APP_METRICS_TOKEN")),
    ("no CARD_APP_METRICS_TOKEN, so /metrics open through the load balancer", remove_secret("CARD_APP_METRICS_TOKEN")),
    ("an audit key given in Environment by value", set_environment("CARD_APP_AUDIT_KEY", "0123456789abcdef" * 4)),
    ("AuditKeySecretArn optional", set_parameter("AuditKeySecretArn", "Default", "")),
    ("MetricsTokenSecretArn without the ARN's suffix",
     set_parameter("MetricsTokenSecretArn", "AllowedPattern",
                   "^arn:aws[a-zA-Z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$")),
    ("a TOME_TOKEN_HINT variable in Environment", set_environment("TOME_TOKEN_HINT", "x")),
    ("the user root", set_container("User", "root")),
    ("the user 0:0", set_container("User", "0:0")),
    ("the user 65532:0", set_container("User", "65532:0")),
    ("no user", delete_container("User")),
    ("a writable root file system", set_container("ReadonlyRootFilesystem", False)),
    ("a privileged container", set_container("Privileged", True)),
    ("StopTimeout 300", set_container("StopTimeout", 300)),
    ("StopTimeout 30, below the longest request", set_container("StopTimeout", 30)),
    ("deregistration delay 300, past StopTimeout",
     set_attribute("TargetGroup", "TargetGroupAttributes", "deregistration_delay.timeout_seconds", "300")),
    ("deregistration delay 5, below the longest request",
     set_attribute("TargetGroup", "TargetGroupAttributes", "deregistration_delay.timeout_seconds", "5")),
    ("TOME_MAX_ATTEMPTS 8, a longer request than the delays cover", set_environment("TOME_MAX_ATTEMPTS", "8")),
    ("a drain of 88 s, whose cancellation reaches StopTimeout 90", set_environment("CARD_APP_DRAIN_SECONDS", "88")),
    ("a drain of 30 s, shorter than the longest request", set_environment("CARD_APP_DRAIN_SECONDS", "30")),
    ("a drain card-app refuses (200 s)", set_environment("CARD_APP_DRAIN_SECONDS", "200")),
    ("no CARD_APP_DRAIN_SECONDS, the binary's default", remove_environment("CARD_APP_DRAIN_SECONDS")),
    ("StopTimeout 84, before the drain and its cancellation end", set_container("StopTimeout", 84)),
    ("card-app's idle timeout 75, equal to the load balancer's",
     set_environment("CARD_APP_IDLE_TIMEOUT_SECONDS", "75")),
    ("card-app's idle timeout 60, below the load balancer's", set_environment("CARD_APP_IDLE_TIMEOUT_SECONDS", "60")),
    ("the load balancer's idle timeout 120, above card-app's",
     set_attribute("LoadBalancer", "LoadBalancerAttributes", "idle_timeout.timeout_seconds", "120")),
    ("no CARD_APP_IDLE_TIMEOUT_SECONDS, the binary's default", remove_environment("CARD_APP_IDLE_TIMEOUT_SECONDS")),
    ("idle timeout 30", set_attribute("LoadBalancer", "LoadBalancerAttributes", "idle_timeout.timeout_seconds", "30")),
    ("no CARD_APP_TRUSTED_PROXIES, so the balancer's address as every source",
     remove_environment("CARD_APP_TRUSTED_PROXIES")),
    ("every address a trusted proxy", set_environment("CARD_APP_TRUSTED_PROXIES", "0.0.0.0/0")),
    ("LoadBalancerSubnetCidrs accepting 0.0.0.0/0",
     set_parameter("LoadBalancerSubnetCidrs", "AllowedPattern", "^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$")),
    ("LoadBalancerSubnetCidrs defaulting to the VPC's range",
     set_parameter("LoadBalancerSubnetCidrs", "Default", "10.0.0.0/16")),
    ("X-Forwarded-For preserved as the client sent it",
     set_attribute("LoadBalancer", "LoadBalancerAttributes", "routing.http.xff_header_processing.mode", "preserve")),
    ("card-app on the default host", set_container("Command", ["serve", "--port", "8080"])),
    ("a container health check with curl",
     set_container("HealthCheck", {"Command": ["CMD-SHELL", "curl -f localhost:8080/health/live"]})),
    ("the tasks open to 0.0.0.0/0", open_service_ingress),
    ("the tasks open to the load balancer on every port",
     lambda t: (properties(t, "ServiceIngressFromLoadBalancer").update(FromPort=0, ToPort=65535))),
    ("the tasks' group given an inline rule from 0.0.0.0/0",
     add_property("ServiceSecurityGroup", "SecurityGroupIngress",
                  [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "CidrIp": "0.0.0.0/0"}])),
    ("the database's rule open to 0.0.0.0/0",
     lambda t: properties(t, "DatabaseIngressFromTasks").update(CidrIp="0.0.0.0/0")),
    ("a service that does not wait for the database's rule", lambda t: properties(t, "Service").pop("Tags")),
    ("a database rule made without DatabaseSecurityGroupId",
     lambda t: t["Resources"]["DatabaseIngressFromTasks"].pop("Condition")),
    ("a public IP for the tasks",
     set_property("Service", ["NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"], "ENABLED")),
    ("AllowedCidr 0.0.0.0/0 by default", set_parameter("AllowedCidr", "Default", "0.0.0.0/0")),
    ("GetSecretValue on *",
     lambda t: properties(t, "ExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"][0]
     .update(Resource="*")),
    ("GetSecretValue without the metrics token's secret",
     lambda t: properties(t, "ExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
     .remove({"Ref": "MetricsTokenSecretArn"})),
    ("secretsmanager:* on * added", add_statement({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"})),
    ("ssm:GetParameters on every parameter",
     add_statement({"Effect": "Allow", "Action": "ssm:GetParameters",
                    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                                            ":parameter/*"}})),
    ("kms:Decrypt on * whatever SecretsKmsKeyArn", unconditional_kms),
    ("a policy for the task role",
     add_property("TaskRole", "ManagedPolicyArns", ["arn:aws:iam::aws:policy/ReadOnlyAccess"])),
    ("a wider managed policy for the execution role",
     lambda t: properties(t, "ExecutionRole")["ManagedPolicyArns"].append(
         "arn:aws:iam::aws:policy/SecretsManagerReadWrite")),
    ("health check on /health/live", set_property("TargetGroup", ["HealthCheckPath"], "/health/live")),
    ("an HTTP listener on 80",
     lambda t: properties(t, "HttpsListener").update(Protocol="HTTP", Port=80, Certificates=None, SslPolicy=None)),
    ("a fixed SslPolicy", set_property("HttpsListener", ["SslPolicy"], "ELBSecurityPolicy-2016-08")),
    ("TlsPolicy ELBSecurityPolicy-2016-08 by default",
     set_parameter("TlsPolicy", "Default", "ELBSecurityPolicy-2016-08")),
    ("an internet-facing scheme by default", set_parameter("LoadBalancerScheme", "Default", "internet-facing")),
    ("DesiredCount 1 by default", set_parameter("DesiredCount", "Default", 1)),
    ("DesiredCount allowed down to 1", set_parameter("DesiredCount", "MinValue", 1)),
    ("the tasks' subnets a String parameter", set_parameter("TaskSubnetIds", "Type", "String")),
    ("a fixed retention", set_property("LogGroup", ["RetentionInDays"], 7)),
    ("a retention CloudWatch Logs does not offer", set_parameter("LogRetentionDays", "Default", 10)),
    ("logs to another group",
     lambda t: container(t)["LogConfiguration"]["Options"].update({"awslogs-group": "/shared/card-app"})),
    ("logs in non-blocking mode",
     lambda t: container(t)["LogConfiguration"]["Options"].update(mode="non-blocking")),
    ("a fixed LogGroupName", add_property("LogGroup", "LogGroupName", "/ecs/card-app")),
    ("a fixed ClusterName", add_property("Cluster", "ClusterName", "card-app")),
    ("a fixed ServiceName", add_property("Service", "ServiceName", "card-app")),
    ("a fixed load balancer Name", add_property("LoadBalancer", "Name", "card-app")),
    ("a fixed target group Name", add_property("TargetGroup", "Name", "card-app")),
    ("a fixed RoleName", add_property("ExecutionRole", "RoleName", "card-app-execution")),
    ("no scaling policy", remove_resource("CpuScalingPolicy")),
    ("MinCapacity 1 by default", set_parameter("MinCapacity", "Default", 1)),
    ("no rollback",
     set_property("Service", ["DeploymentConfiguration", "DeploymentCircuitBreaker", "Rollback"], False)),
    ("MinimumHealthyPercent 50", set_property("Service", ["DeploymentConfiguration", "MinimumHealthyPercent"], 50)),
    ("Container Insights off", set_property("Cluster", ["ClusterSettings"], [])),
    ("Memory 512 for Cpu 512 accepted",
     replace_assertion("FargateMemoryFor512Cpu", {"Fn::Contains": [["512", "1024", "2048", "3072", "4096"],
                                                                   {"Ref": "Memory"}]})),
    ("a TOME token from both places, or neither, accepted", drop_rule("OneTomeToken")),
    ("a {{resolve: reference in Environment",
     set_environment("TOME_URL", "{{resolve:secretsmanager:card-app/tome-url}}")),
    ("no service URL output", lambda t: t["Outputs"].pop("ServiceUrl")),
    ("no output of the tasks' security group", lambda t: t["Outputs"].pop("ServiceSecurityGroupId")),
]

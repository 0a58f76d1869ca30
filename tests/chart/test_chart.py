"""The Helm chart: lint, render with real value sets, validate every manifest against the
Kubernetes schemas (strict: unknown fields fail), and check what the manifests say."""

from __future__ import annotations

import copy
import json
import re

import kubernetes_validate
import pytest
import yaml

from tests.chart.helm import CHART, NAMESPACE, Helm, container, env, kinds, only

PG_PASSWORD = "pg-s3cret"
MQ_PASSWORD = "mq-s3cret"
EXTERNAL = {
    "database": {"url": f"postgresql://conveyor:{PG_PASSWORD}@db-postgresql:5432/conveyor"},
    "queue": {"url": f"amqp://conveyor:{MQ_PASSWORD}@mq-rabbitmq:5672/%2F"},
}
EXISTING_SECRET = {
    "database": {"existingSecret": "conveyor-db", "existingSecretKey": "url"},
    "queue": {"existingSecret": "conveyor-mq"},
}
INGRESS = {
    "ingress": {"enabled": True, "className": "nginx", "host": "conveyor.example.com",
                "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "300"},
                "tls": [{"secretName": "conveyor-tls", "hosts": ["conveyor.example.com"]}]},
    "server": {"publicUrl": "https://conveyor.example.com"},
}
EXISTING_CLAIM = {"persistence": {"existingClaim": "team-data"}}
EVERYTHING = {
    **EXTERNAL, **INGRESS,
    "image": {"repository": "registry.example.com/conveyor", "tag": "9.9.9",
              "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "registry"}],
    "serviceAccount": {"create": False, "name": "shared"},
    "server": {"port": 8080, "publicUrl": "https://conveyor.example.com",
               "extraEnv": [{"name": "CONVEYOR_DISABLE_PLUGINS", "value": "rabbitmq"}]},
    "service": {"type": "LoadBalancer", "port": 80},
    "storage": {"url": "file:///data/blobs"},
    "persistence": {"enabled": False},
    "podAnnotations": {"team": "ml"}, "podLabels": {"tier": "platform"},
    "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
    "nodeSelector": {"pool": "cpu"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml",
                     "effect": "NoSchedule"}],
    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "pool", "operator": "In", "values": ["cpu"]}]}]}}},
}
VALUE_SETS = {"defaults": {}, "external": EXTERNAL, "existing-secret": EXISTING_SECRET,
              "ingress": INGRESS, "existing-claim": EXISTING_CLAIM, "everything": EVERYTHING}


@pytest.mark.parametrize("strict", [False, True], ids=["lint", "lint-strict"])
@pytest.mark.parametrize("name", VALUE_SETS)
def test_lint_passes(helm: Helm, name, strict):
    result = helm.lint(VALUE_SETS[name], strict=strict)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_manifest_is_valid_kubernetes(helm: Helm, kube_version, name):
    manifests = helm.render(VALUE_SETS[name])
    assert "Deployment" in kinds(manifests)
    for manifest in manifests:
        # Raises with the offending field; strict schemas reject unknown fields.
        kubernetes_validate.validate(manifest, kube_version, strict=True)


def test_strict_validation_rejects_an_unknown_field(helm: Helm, kube_version):
    # The check above is only worth something if it can fail: a misspelt field must.
    deployment = copy.deepcopy(only(helm.render(), "Deployment"))
    container(deployment)["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kube_version, strict=True)


def test_defaults_deploy_one_recreated_pod_on_a_claim_and_no_rbac(helm: Helm):
    manifests = helm.render()
    assert kinds(manifests) == {"ServiceAccount", "PersistentVolumeClaim", "Service",
                                "Deployment"}
    assert all(doc["metadata"]["namespace"] == NAMESPACE for doc in manifests
               if "namespace" in doc["metadata"])
    deployment = only(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    main = container(deployment)
    assert main["image"] == "conveyor:0.1.0"  # the chart's appVersion
    assert main["command"] == ["conveyor"]
    assert main["args"] == ["up", "--host", "0.0.0.0", "--port", "7979", "--data-dir", "/data"]
    assert {"CONVEYOR_DATABASE_URL", "CONVEYOR_QUEUE_URL"}.isdisjoint(env(deployment))
    assert env(deployment)["CONVEYOR_HOME"]["value"] == "/data/home"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["fsGroup"] == 10001
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == only(manifests, "ServiceAccount")["metadata"]["name"]


def test_chart_app_version_is_the_project_version():
    # The first `version =` of pyproject.toml is [project]'s (tomllib needs Python 3.11).
    pyproject = (CHART.parents[1] / "pyproject.toml").read_text()
    version = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject).group(1)
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] == version


def test_the_data_claim_is_mounted_at_the_data_dir(helm: Helm):
    manifests = helm.render()
    claim = only(manifests, "PersistentVolumeClaim")
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert "storageClassName" not in claim["spec"]  # the cluster's default class
    _assert_data_volume(only(manifests, "Deployment"), claim["metadata"]["name"])


def test_existing_claim_is_mounted_and_none_is_created(helm: Helm):
    manifests = helm.render(EXISTING_CLAIM)
    assert "PersistentVolumeClaim" not in kinds(manifests)
    _assert_data_volume(only(manifests, "Deployment"), "team-data")


def test_storage_class_dash_disables_dynamic_provisioning(helm: Helm):
    claim = only(helm.render({"persistence": {"storageClass": "-", "size": "1.5Ti"}}),
                 "PersistentVolumeClaim")
    assert claim["spec"]["storageClassName"] == ""
    assert claim["spec"]["resources"]["requests"]["storage"] == "1.5Ti"


def test_probes_hit_healthz_and_readyz_on_the_server_port(helm: Helm):
    deployment = only(helm.render({"server": {"port": 8080}}), "Deployment")
    main = container(deployment)
    assert main["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert main["args"][main["args"].index("--port") + 1] == "8080"
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")):
        assert main[probe]["httpGet"] == {"path": path, "port": "http"}, probe


def test_inline_urls_go_to_the_secret_and_reach_the_pod_by_reference(helm: Helm):
    manifests = helm.render(EXTERNAL)
    secret, deployment = only(manifests, "Secret"), only(manifests, "Deployment")
    assert secret["stringData"] == {"database-url": EXTERNAL["database"]["url"],
                                    "queue-url": EXTERNAL["queue"]["url"]}
    variables = env(deployment)
    name = secret["metadata"]["name"]
    assert variables["CONVEYOR_DATABASE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": name, "key": "database-url"}}
    assert variables["CONVEYOR_QUEUE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": name, "key": "queue-url"}}
    rendered = json.dumps(deployment)
    assert PG_PASSWORD not in rendered and MQ_PASSWORD not in rendered


def test_changing_an_inline_url_rolls_the_pod(helm: Helm):
    def checksum(values: dict) -> str:
        deployment = only(helm.render(values), "Deployment")
        return deployment["spec"]["template"]["metadata"]["annotations"]["checksum/secret"]

    moved = {**EXTERNAL, "database": {"url": "postgresql://conveyor:pw@other-db/conveyor"}}
    assert checksum(EXTERNAL) != checksum(moved)


def test_existing_secrets_are_referenced_and_no_secret_is_rendered(helm: Helm):
    manifests = helm.render(EXISTING_SECRET)
    assert "Secret" not in kinds(manifests)
    variables = env(only(manifests, "Deployment"))
    assert variables["CONVEYOR_DATABASE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "conveyor-db", "key": "url"}}
    assert variables["CONVEYOR_QUEUE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "conveyor-mq", "key": "queue-url"}}


def test_ingress_routes_the_host_to_the_service(helm: Helm):
    manifests = helm.render(INGRESS)
    ingress, service = only(manifests, "Ingress"), only(manifests, "Service")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "conveyor.example.com"
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": service["metadata"]["name"],
                                          "port": {"name": "http"}}
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert env(only(manifests, "Deployment"))["CONVEYOR_PUBLIC_URL"]["value"] == \
        "https://conveyor.example.com"


def test_every_value_reaches_the_manifests(helm: Helm):
    manifests = helm.render(EVERYTHING)
    assert {"ServiceAccount", "PersistentVolumeClaim"}.isdisjoint(kinds(manifests))
    deployment = only(manifests, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    main = container(deployment)
    assert main["image"] == "registry.example.com/conveyor:9.9.9"
    assert main["imagePullPolicy"] == "Always"
    assert pod["imagePullSecrets"] == [{"name": "registry"}]
    assert pod["serviceAccountName"] == "shared"
    assert {"name": "data", "emptyDir": {}} in pod["volumes"]
    assert env(deployment)["CONVEYOR_STORAGE_URL"]["value"] == "file:///data/blobs"
    assert env(deployment)["CONVEYOR_DISABLE_PLUGINS"]["value"] == "rabbitmq"
    assert main["resources"] == EVERYTHING["resources"]
    assert pod["nodeSelector"] == {"pool": "cpu"}
    assert pod["tolerations"] == EVERYTHING["tolerations"]
    assert pod["affinity"] == EVERYTHING["affinity"]
    template_meta = deployment["spec"]["template"]["metadata"]
    assert template_meta["annotations"]["team"] == "ml"
    assert template_meta["labels"]["tier"] == "platform"
    service = only(manifests, "Service")
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["ports"][0]["port"] == 80


@pytest.mark.parametrize(("values", "named"), [
    ({"service": {"port": "http"}}, "service.port"),
    ({"server": {"port": 70000}}, "server.port"),
    ({"persistence": {"size": "ten gigs"}}, "persistence.size"),
    ({"replicaCount": 3}, "replicaCount"),
    ({"ingress": {"hostname": "x.example.com"}}, "hostname"),
    ({"database": {"url": "mysql://conveyor@db/conveyor"}}, "database.url"),
    ({"queue": {"url": "redis://mq:6379"}}, "queue.url"),
    ({"image": {"pullPolicy": "Sometimes"}}, "image.pullPolicy"),
    ({"database": {"url": "postgresql://u:p@db/c", "existingSecret": "db"}},
     "database.existingSecret"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_bad_values_fail_naming_the_field(helm: Helm, values, named):
    result = helm.template(values)
    assert result.returncode != 0, result.stdout
    assert named in result.stderr, result.stderr


def _assert_data_volume(deployment: dict, claim_name: str) -> None:
    pod = deployment["spec"]["template"]["spec"]
    (mount,) = [m for m in container(deployment)["volumeMounts"] if m["mountPath"] == "/data"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["persistentVolumeClaim"] == {"claimName": claim_name}

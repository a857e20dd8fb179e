"""Every kustomize overlay renders to valid Kubernetes objects that run the real processes.

Rendered offline with tests/deploy/kustomize.py, validated against the Kubernetes
1.30 JSON schemas bundled in kubernetes-validate (strict: unknown fields fail).
"""

from __future__ import annotations

import base64
import re
import shlex
from typing import Any

import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exchange.core.deploy_checks import production_guard
from matching_client import parse_shard_map
from tests.deploy.kustomize import build
from tests.deploy.process_model import ROOT, command_line, dockerfile_instructions, procfile
from tests.deploy.test_process_model import check_entry_point

K8S = ROOT / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
KUBERNETES_VERSION = "1.30.0"
# The exchange's own workloads (the dev overlay adds datastores next to them).
APP_LABEL = ("app.kubernetes.io/part-of", "open-exchange")
# process (Procfile) -> (kind, name) of the workload that runs it
WORKLOADS = {
    "web": ("Deployment", "web"),
    "engine": ("StatefulSet", "engine"),
    "futures-engine": ("StatefulSet", "futures-engine"),
    "clearing": ("StatefulSet", "clearing"),
    "marketdata": ("Deployment", "marketdata"),
    "pricefeed": ("Deployment", "pricefeed"),
    "chainwatch": ("Deployment", "chainwatch"),
    "worker": ("Deployment", "worker"),
    "beat": ("Deployment", "beat"),
}
WITH_HPA = {"web", "worker"}
# Custom resources the overlays use, by apiVersion (the Prometheus Operator's).
OPERATOR_KINDS = {"monitoring.coreos.com/v1": {"PodMonitor"}}
# Workloads that serve no metrics: the periodic-task clock and the chain watcher.
NO_METRICS = {"beat", "chainwatch"}
WITH_PDB = {"web", "engine", "clearing", "marketdata", "worker"}
# Variables the code reads that the manifests leave unset on purpose.
NOT_SET_IN_DEPLOYMENTS = {
    "CELERY_TASK_ALWAYS_EAGER": "tests only",
    "CELERY_BROKER_URL": "defaults to REDIS_URL; required with REDIS_CLUSTER (checked below)",
    "CHANNELS_REDIS_URL": "defaults to REDIS_URL; required with REDIS_CLUSTER (checked below)",
    "WS_SEND_BUFFER_BYTES": "WebSocket tuning; the default (4 MiB per client) fits",
    "WS_MAX_STREAMS": "WebSocket tuning; the default is Binance's 1024",
    "WS_LISTEN_KEY_CHECK_S": "WebSocket tuning; tests shorten it",
    "EVM_HD_MNEMONIC": "a secret only networks on the evm chain adapter need; add it to "
    "exchange-secrets with EVM_RPC_URLS when you add one (docs/wallets.md)",
    "WEB_PROCESSES": "read by make run's supervisor only; a pod runs one daphne (ADR 0057)",
    "ARCHIVE_DIR": "the archiver is off (ARCHIVE_AFTER_MONTHS=0); set it with the durable "
    "volume it needs when you turn it on (docs/deploy.md, ADR 0037)",
}
ENV_READ = re.compile(
    r"""(?:env\.(?:str|bool|int|list|db|float|json)|environ\.get|env\.get|getenv)\(\s*"([A-Z][A-Z0-9_]+)"|environ\[\s*"([A-Z][A-Z0-9_]+)"\]"""
)


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, build(K8S / "overlays" / request.param)


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def app_workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        o
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet", "Job")
        and o["metadata"]["labels"].get(APP_LABEL[0]) == APP_LABEL[1]
    ]


def container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def env_names_read_by_code() -> set[str]:
    names = set()
    for package in ("exchange", "api", "admin_ui", "matching_engine", "matching_client"):
        for path in (ROOT / package).rglob("*.py"):
            for match in ENV_READ.finditer(path.read_text()):
                names.add(match.group(1) or match.group(2))
    for line in procfile().values():
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", line))
    return names


def image_env() -> set[str]:
    names = set()
    for keyword, args in dockerfile_instructions():
        if keyword == "ENV":
            names |= {part.split("=", 1)[0] for part in shlex.split(args) if "=" in part}
    return names


def provided_env(overlay: str, objects: list[dict[str, Any]], workload: dict[str, Any]) -> set[str]:
    """Names a workload's container gets: its env, its envFrom sources, the image's ENV."""
    spec = container(workload)
    names = {e["name"] for e in spec.get("env", [])} | image_env()
    configmaps, secrets = by_kind(objects, "ConfigMap"), by_kind(objects, "Secret")
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(configmaps[source["configMapRef"]["name"]]["data"])
        else:
            name = source["secretRef"]["name"]
            names |= (
                set(secrets[name]["data"]) if name in secrets else external_secret_keys(overlay)
            )
    return names


def external_secret_keys(overlay: str) -> set[str]:
    """The keys of a Secret created outside git, from the overlay's documented example."""
    example = K8S / "overlays" / overlay / "secrets.example.env"
    assert example.exists(), f"{overlay}: a Secret not rendered needs secrets.example.env"
    return {
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }


def test_every_overlay_renders_to_objects_valid_against_the_kubernetes_schemas(rendered):
    overlay, objects = rendered
    assert objects
    for obj in objects:
        if obj["apiVersion"] in OPERATOR_KINDS:  # custom resources: checked below
            assert obj["kind"] in OPERATOR_KINDS[obj["apiVersion"]], obj["kind"]
        else:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        assert obj["metadata"]["namespace"], obj["metadata"]["name"]


def test_the_validator_rejects_a_misspelled_field():
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "x", "image": "x", "readinesProbe": {}}]},
            },
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("process", sorted(WORKLOADS))
def test_each_process_runs_its_procfile_command_with_probes_and_resources(rendered, process):
    overlay, objects = rendered
    kind, name = WORKLOADS[process]
    workload = by_kind(objects, kind)[name]
    spec = container(workload)
    line = command_line(spec["command"])
    check_entry_point(line)
    expected = shlex.split(procfile()[process])
    if process == "beat":
        # the schedule moves to the pod's scratch volume; everything else is the Procfile's
        assert [a for a in shlex.split(line) if not a.startswith("--schedule=")] == [
            a for a in expected if not a.startswith("--schedule=")
        ]
    else:
        assert shlex.split(line)[: len(expected)] == expected
    for probe in ("readinessProbe", "livenessProbe"):
        assert probe in spec, f"{overlay}/{name}: no {probe}"
    for bound in ("requests", "limits"):
        assert set(spec["resources"][bound]) == {"cpu", "memory"}, f"{overlay}/{name}"
    assert workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert ("HorizontalPodAutoscaler", name) in {
        (o["kind"], o["spec"]["scaleTargetRef"]["name"])
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    } or process not in WITH_HPA
    pdbs = [
        pdb
        for pdb in by_kind(objects, "PodDisruptionBudget").values()
        if pdb["spec"]["selector"]["matchLabels"].items()
        <= workload["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(pdbs) == (1 if process in WITH_PDB else 0), f"{overlay}/{name}"


def test_web_probes_healthz_and_engine_probes_its_health_figures(rendered):
    _, objects = rendered
    web = container(by_kind(objects, "Deployment")["web"])
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    engine = container(by_kind(objects, "StatefulSet")["engine"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert engine[probe]["exec"]["command"][:3] == ["python", "-m", "matching_engine.probe"]


def test_autoscalers_target_web_and_worker_with_cpu_and_bounds(rendered):
    _, objects = rendered
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    deployments = by_kind(objects, "Deployment")
    assert sorted(hpas) == sorted(WITH_HPA)
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert name in deployments
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        assert any(
            m["type"] == "Resource" and m["resource"]["name"] == "cpu"
            for m in hpa["spec"]["metrics"]
        )


def test_prod_also_scales_on_custom_metrics():
    hpas = by_kind(build(K8S / "overlays" / "prod"), "HorizontalPodAutoscaler")
    assert [m["type"] for m in hpas["web"]["spec"]["metrics"]] == ["Resource", "Pods", "Pods"]
    assert [m["type"] for m in hpas["worker"]["spec"]["metrics"]] == ["Resource", "External"]


def _hpa_metrics(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(custom or external, metric name) of every non-CPU metric of the HPAs."""
    kinds = {"Pods": ("custom", "pods"), "Object": ("custom", "object"), "External": ("external",)}
    found = set()
    for hpa in by_kind(objects, "HorizontalPodAutoscaler").values():
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] != "Resource":
                api, *key = kinds[metric["type"]]
                found.add((api, metric[key[0] if key else "external"]["metric"]["name"]))
    return found


def _series_name(rule: dict[str, Any]) -> str:
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", rule["seriesQuery"].strip("'\""))
    assert name, rule["seriesQuery"]
    return name.group(0)


def test_prod_hpa_metrics_are_served_by_the_adapter_from_series_the_processes_export():
    # given the prod HPAs and the prometheus-adapter rules shipped with them
    objects = build(K8S / "overlays" / "prod")
    values = yaml.safe_load(
        (K8S / "overlays" / "prod" / "prometheus-adapter-values.yaml").read_text()
    )
    rules = {
        (api, rule["name"]["as"]): rule
        for api in ("custom", "external")
        for rule in values["rules"].get(api, [])
    }
    # then every HPA metric has a rule, and every rule reads a series a process exports
    wanted = _hpa_metrics(objects)
    assert wanted and wanted <= set(rules), wanted - set(rules)
    exported = exported_series()
    for key in wanted:
        assert _series_name(rules[key]) in exported, (key, sorted(exported))
    # and Prometheus is told to scrape the pods on the ports those processes serve
    (monitor,) = by_kind(objects, "PodMonitor").values()
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector == {APP_LABEL[0]: APP_LABEL[1]}
    endpoints = {
        (e["port"], e.get("path", "/metrics")) for e in monitor["spec"]["podMetricsEndpoints"]
    }
    assert endpoints == {("metrics", "/metrics"), ("http", "/metrics")}
    for workload in app_workloads(objects):
        if workload["kind"] == "Job" or workload["metadata"]["name"] in NO_METRICS:
            continue
        ports = {p["name"]: p["containerPort"] for p in container(workload).get("ports", [])}
        assert "metrics" in ports or "http" in ports, workload["metadata"]["name"]
        if "metrics" in ports:
            config = by_kind(objects, "ConfigMap")["exchange-config"]["data"]
            assert ports["metrics"] == int(config["METRICS_PORT"])


def exported_series() -> set[str]:
    """Sample names the web process (its default registry) and the Celery worker (its
    collectors) export, rendered by prometheus-client as Prometheus would scrape them."""
    import api.ratelimit
    import api.ws.metrics
    import exchange.core.metrics  # noqa: F401 - registers the web's counters
    from exchange.celery import app
    from exchange.worker_metrics import TASKS_RECEIVED, QueueCollector

    api.ws.metrics.CONNECTIONS.labels(api.ws.metrics.STREAMS)
    exchange.core.metrics.ORDERS_PLACED.labels("BTCUSDT")
    api.ratelimit.RATE_LIMITED.labels("rest", "ip")
    TASKS_RECEIVED.labels("t")
    registry = CollectorRegistry()
    registry.register(QueueCollector(app))
    names = set()
    for text in (generate_latest(REGISTRY), generate_latest(registry)):
        for family in text_string_to_metric_families(text.decode()):
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
    return names


def test_beat_is_a_single_replica_recreated_never_doubled(rendered):
    _, objects = rendered
    beat = by_kind(objects, "Deployment")["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in by_kind(objects, "HorizontalPodAutoscaler")


def test_engine_runs_a_hot_standby_pair_per_shard_of_the_shard_map(rendered):
    _, objects = rendered
    statefulsets = by_kind(objects, "StatefulSet")
    engine, standby = statefulsets["engine"], statefulsets["engine-standby"]
    config = by_kind(objects, "ConfigMap")["exchange-config"]["data"]
    shards = parse_shard_map(config["ENGINE_SHARDS"])
    assert sorted(shards) == [f"engine-{i}" for i in range(engine["spec"]["replicas"])]
    assert standby["spec"]["replicas"] == engine["spec"]["replicas"]
    for ordinal in range(engine["spec"]["replicas"]):
        pair = [pod_command(side, ordinal) for side in (engine, standby)]
        for args in pair:
            assert args[2:5] == ["runengine", "--shard", f"engine-{ordinal}"]
            assert "--standby" in args
            # both sides load the same snapshots: Redis's, never a pod's own volume
            assert "--snapshot-dir" not in args
        assert pair[0] == pair[1]
    for side in (engine, standby):
        assert "volumeClaimTemplates" not in side["spec"]
        assert side["spec"]["serviceName"] in by_kind(objects, "Service")
    # one budget over both sides: a drain never takes both engines of a shard at once
    (budget,) = [
        pdb
        for pdb in by_kind(objects, "PodDisruptionBudget").values()
        if pdb["spec"]["selector"]["matchLabels"].items()
        <= standby["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"].items() <= (
        engine["spec"]["template"]["metadata"]["labels"].items()
    )


def pod_command(workload: dict[str, Any], ordinal: int) -> list[str]:
    """The container's command as the kubelet runs it in pod <name>-<ordinal>.

    Resolves the env's field references (the pod's name, its StatefulSet
    index label) and ``$(VAR)`` of variables defined before, as Kubernetes does.
    """
    fields = {
        "metadata.name": f"{workload['metadata']['name']}-{ordinal}",
        "metadata.labels['apps.kubernetes.io/pod-index']": str(ordinal),
    }
    env: dict[str, str] = {}

    def expand(text: str) -> str:
        return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), text)

    spec = container(workload)
    for var in spec.get("env", []):
        if "valueFrom" in var:
            env[var["name"]] = fields[var["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            env[var["name"]] = expand(var["value"])
    return [expand(arg) for arg in spec["command"]]


def test_clearing_runs_one_pod_per_engine_shard_with_the_same_markets(rendered):
    # given the engine shards and their shard map
    _, objects = rendered
    engine = by_kind(objects, "StatefulSet")["engine"]
    clearing = by_kind(objects, "StatefulSet")["clearing"]
    shards = parse_shard_map(
        by_kind(objects, "ConfigMap")["exchange-config"]["data"]["ENGINE_SHARDS"]
    )
    # then there is a clearing pod for each engine pod, and pod N clears engine-N's shard
    assert clearing["spec"]["replicas"] == engine["spec"]["replicas"] == len(shards)
    for ordinal in range(engine["spec"]["replicas"]):
        engine_args = pod_command(engine, ordinal)
        clearing_args = pod_command(clearing, ordinal)
        assert clearing_args == [
            "python",
            "manage.py",
            "runclearing",
            "--shard",
            f"engine-{ordinal}",
        ]
        shard = engine_args[engine_args.index("--shard") + 1]
        assert clearing_args[-1] == shard and shards[shard], shard
    assert clearing["spec"]["serviceName"] in by_kind(objects, "Service")


def test_every_env_var_the_code_reads_is_provided_to_every_process(rendered):
    overlay, objects = rendered
    read = env_names_read_by_code()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "API_KEY_ENCRYPTION_KEYS"} <= read
    for workload in app_workloads(objects):
        name = workload["metadata"]["name"]
        provided = provided_env(overlay, objects, workload)
        engine_only = {"ENGINE_SHARD"} if name != "engine" else set()
        missing = read - provided - set(NOT_SET_IN_DEPLOYMENTS) - engine_only
        assert not missing, (
            f"{overlay}/{name} lacks {sorted(missing)}: add them to k8s/base (config or "
            "secret) or, with a reason, to NOT_SET_IN_DEPLOYMENTS"
        )


def test_a_redis_cluster_comes_with_a_plain_redis_for_celery_and_channels(rendered):
    _, objects = rendered
    config = by_kind(objects, "ConfigMap")["exchange-config"]["data"]
    if config["REDIS_CLUSTER"] == "true":
        assert config["CELERY_BROKER_URL"] != config["REDIS_URL"]
        assert config["CHANNELS_REDIS_URL"] != config["REDIS_URL"]


def test_prod_commands_wait_for_a_replica_of_their_cluster_node():
    config = by_kind(build(K8S / "overlays" / "prod"), "ConfigMap")["exchange-config"]["data"]
    assert config["REDIS_CLUSTER"] == "true"
    assert config["REDIS_MIN_REPLICAS_ACK"] == "1"


def overlay_secrets(overlay: str, objects: list[dict[str, Any]]) -> dict[str, str]:
    """The overlay's secrets as committed: its rendered Secret, else its example file."""
    secret = by_kind(objects, "Secret").get("exchange-secrets")
    if secret is not None:
        return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    example = K8S / "overlays" / overlay / "secrets.example.env"
    return dict(
        line.split("=", 1)
        for line in example.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )


def guard(environment: str, secrets: dict[str, str]) -> str | None:
    """The settings' startup guard, on these secrets (as env.list splits the keys)."""
    return production_guard(
        environment=environment,
        secret_key=secrets["SECRET_KEY"],
        api_key_encryption_keys=[k for k in secrets["API_KEY_ENCRYPTION_KEYS"].split(",") if k],
    )


def test_every_overlay_but_dev_runs_in_production_mode(rendered):
    overlay, objects = rendered
    environment = by_kind(objects, "ConfigMap")["exchange-config"]["data"]["ENVIRONMENT"]
    assert environment == ("development" if overlay == "dev" else "production")


def test_prod_refuses_to_start_with_its_example_secrets_left_as_placeholders():
    # given the prod overlay (production mode) and its example secrets, CHANGE-ME values
    objects = build(K8S / "overlays" / "prod")
    assert by_kind(objects, "Secret") == {}  # the real Secret comes from outside git
    secrets = overlay_secrets("prod", objects)
    # when the settings' guard runs on them, then both secrets are refused
    refusal = guard("production", secrets)
    assert refusal is not None
    assert "SECRET_KEY is a placeholder (CHANGE-ME)" in refusal
    assert "API_KEY_ENCRYPTION_KEYS entry 1 is not a Fernet key" in refusal


def test_dev_overlay_starts_with_its_committed_dev_secrets_only_in_development_mode():
    # given the dev overlay, whose committed secrets are development values on purpose
    objects = build(K8S / "overlays" / "dev")
    secrets = overlay_secrets("dev", objects)
    environment = by_kind(objects, "ConfigMap")["exchange-config"]["data"]["ENVIRONMENT"]
    # then its pods start (development mode), and the same secrets are refused in production
    assert guard(environment, secrets) is None
    refusal = guard("production", secrets)
    assert refusal is not None
    assert "SECRET_KEY is a placeholder (CHANGE-ME)" in refusal


def test_generated_secret_has_the_documented_keys():
    secrets = by_kind(build(K8S / "overlays" / "dev"), "Secret")
    assert set(secrets["exchange-secrets"]["data"]) == external_secret_keys("prod")


def test_ingress_serves_web_and_websockets_through_the_web_service(rendered):
    _, objects = rendered
    (ingress,) = by_kind(objects, "Ingress").values()
    service = by_kind(objects, "Service")["web"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "web"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    # WebSocket connections stay open past nginx's 60 s default
    assert (
        int(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"])
        >= 3600
    )
    web = by_kind(objects, "Deployment")["web"]
    assert (
        service["spec"]["selector"].items() <= web["spec"]["template"]["metadata"]["labels"].items()
    )


def test_network_policies_deny_by_default_and_open_web_to_the_ingress(rendered):
    _, objects = rendered
    policies = by_kind(objects, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    web_in = policies["allow-ingress-to-web"]["spec"]
    assert web_in["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "web"}
    assert web_in["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8000}]
    egress = policies["allow-egress-dns-and-datastores"]["spec"]["egress"]
    assert {p["port"] for rule in egress for p in rule["ports"]} == {53, 5432, 6379}


def test_migration_job_runs_migrate(rendered):
    _, objects = rendered
    job = by_kind(objects, "Job")["migrate"]
    spec = container(job)
    assert command_line(spec["command"]) == "python manage.py migrate --noinput"
    check_entry_point(command_line(spec["command"]))
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_prod_uses_a_pinned_image_from_a_registry():
    for workload in app_workloads(build(K8S / "overlays" / "prod")):
        image = container(workload)["image"]
        assert re.fullmatch(r"[\w.-]+(:\d+)?/[\w./-]+:\d+\.\d+\.\d+", image), image


@pytest.mark.django_db
def test_web_probes_send_a_host_that_django_accepts(rendered, settings, client):
    # given the overlay's ALLOWED_HOSTS and the Host header the kubelet's probes send
    _, objects = rendered
    config = by_kind(objects, "ConfigMap")["exchange-config"]["data"]
    settings.ALLOWED_HOSTS = config["ALLOWED_HOSTS"].split(",")
    web = container(by_kind(objects, "Deployment")["web"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        # when the probe asks for /healthz
        response = client.get(web[probe]["httpGet"]["path"], HTTP_HOST=headers["Host"])
        # then Django answers it (not 400 DisallowedHost)
        assert response.status_code == 200, response.content


def test_datastore_examples_parse_and_keep_the_durability_the_engine_needs():
    redis_docs = list(yaml.safe_load_all((K8S / "examples" / "redis-cluster.yaml").read_text()))
    (config,) = [d for d in redis_docs if d["kind"] == "ConfigMap"]
    (cluster,) = [d for d in redis_docs if d["kind"] == "RedisCluster"]
    conf = config["data"]["redis-additional.conf"]
    assert {"appendonly yes", "appendfsync always", "maxmemory-policy noeviction"} <= set(
        conf.splitlines()
    )
    assert cluster["spec"]["clusterSize"] == 3
    assert (
        cluster["spec"]["redisLeader"]["redisConfig"]["additionalRedisConfig"]
        == (config["metadata"]["name"])
    )
    # overlays/prod connects to the operator's leader Service
    prod = by_kind(build(K8S / "overlays" / "prod"), "ConfigMap")["exchange-config"]["data"]
    assert f"//{cluster['metadata']['name']}-leader." in prod["REDIS_URL"]
    pg = yaml.safe_load_all((K8S / "examples" / "postgres.yaml").read_text())
    (db,) = [d for d in pg if d["kind"] == "Cluster"]
    assert db["spec"]["instances"] == 3 and db["spec"]["minSyncReplicas"] >= 1

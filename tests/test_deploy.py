"""Deployment files that cannot drift: the operator guide's settings table, the Docker
image, Compose and the Kubernetes manifests, checked for the security they promise."""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))
SECRET_NAMES = {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY"}


@cache
def _settings_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts" / "settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env_names() -> set[str]:
    script = _settings_table()
    return {script.env_name(name, field) for name, field in Settings.model_fields.items()}


@cache
def _documents() -> list[dict[str, Any]]:
    docs = []
    for path in MANIFESTS:
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc)
    return docs


def _resource(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in _documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _pod(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = _resource("Deployment", name)["spec"]["template"]["spec"]
    return spec


def _pod_labels(name: str) -> dict[str, str]:
    labels: dict[str, str] = _resource("Deployment", name)["spec"]["template"]["metadata"]["labels"]
    return labels


def _labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# The operator guide


def test_operator_guide_settings_table_is_generated_from_settings() -> None:
    script = _settings_table()
    guide = (ROOT / "docs" / "operator.md").read_text("utf-8")
    assert script.table_in(guide) == script.table(), (
        "docs/operator.md's settings table is stale: run scripts/settings_table.py --write"
    )


def test_settings_table_names_every_setting_once() -> None:
    table = _settings_table().table()
    for name in _env_names():
        assert table.count(f"| `{name}` |") == 1, name


# Kubernetes


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_parses_and_is_namespace_agnostic(path: Path) -> None:
    docs = [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc]
    assert docs, f"{path.name} holds no document"
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind"), path.name
        if doc["kind"] != "Kustomization":
            assert doc["metadata"].get("name"), path.name
            assert "namespace" not in doc["metadata"], f"{path.name} pins a namespace"


def test_kustomization_lists_existing_files_and_never_the_secret_placeholders() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text("utf-8"))
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    # Applying placeholders would overwrite the real tokens.
    assert "secret.yaml" not in kustomization["resources"]


def test_executor_cant_see_secrets_or_the_api() -> None:
    pod = _pod("threadlab-executor")
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    for volume in pod.get("volumes", []):
        assert "secret" not in volume and "projected" not in volume, volume["name"]
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            assert "secretRef" not in source, container["name"]
        for var in container.get("env", []):
            assert "secretKeyRef" not in var.get("valueFrom", {}), var["name"]
            assert var["name"] not in SECRET_NAMES, var["name"]
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert not context["capabilities"].get("add")


def test_networkpolicy_denies_executor_all_egress_and_ingress_but_the_bot() -> None:
    executor_labels = _pod_labels("threadlab-executor")
    bot_labels = _pod_labels("threadlab-bot")
    policy = _resource("NetworkPolicy", "threadlab-executor")["spec"]
    assert _labels_match(policy["podSelector"]["matchLabels"], executor_labels)
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert not policy.get("egress"), "the executor must reach nothing"
    for rule in policy["ingress"]:
        for peer in rule["from"]:
            assert set(peer) == {"podSelector"}, peer
            assert _labels_match(peer["podSelector"]["matchLabels"], bot_labels)
            assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "bot"


def test_bot_runs_non_root_with_a_read_only_root_and_no_token() -> None:
    deployment = _resource("Deployment", "threadlab-bot")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == _dockerfile_uid()
    (bot,) = pod["containers"]
    context = bot["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert bot["resources"]["limits"]["memory"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in bot["volumeMounts"]}
    assert "emptyDir" in mounts["/tmp"]
    claim = mounts["/data"]["persistentVolumeClaim"]["claimName"]
    assert _resource("PersistentVolumeClaim", claim)


def test_bot_probes_health_and_readiness_on_the_metrics_port() -> None:
    (bot,) = _pod("threadlab-bot")["containers"]
    ports = {p["name"]: p["containerPort"] for p in bot["ports"]}
    assert ports["metrics"] == Settings.model_fields["metrics_port"].default == 9464
    for probe, path in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]:
        check = bot[probe]["httpGet"]
        assert check["path"] == path
        assert ports.get(check["port"], check["port"]) == 9464


def test_bot_reads_settings_from_the_configmap_and_tokens_from_the_secret() -> None:
    (bot,) = _pod("threadlab-bot")["containers"]
    sources = bot["envFrom"]
    config = _resource("ConfigMap", sources[0]["configMapRef"]["name"])
    secret = _resource("Secret", sources[1]["secretRef"]["name"])
    assert secret["type"] == "Opaque"
    assert set(secret["stringData"]) == {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "OPENAI_API_KEY"}
    for name, value in secret["stringData"].items():
        assert "replace-me" in value, f"{name} must stay a placeholder"
    assert not SECRET_NAMES & set(config["data"]), "a secret in the ConfigMap"


def test_configmap_holds_only_real_settings_with_valid_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _resource("ConfigMap", "threadlab-config")["data"]
    unknown = set(data) - _env_names()
    assert not unknown, f"not settings: {unknown}"
    for name, value in data.items():
        assert isinstance(value, str), f"{name}: ConfigMap values must be strings"
        monkeypatch.setenv(name, value)
    Settings(_env_file=None)  # raises on any invalid value


def test_servicemonitor_scrapes_the_metrics_service_of_the_bot() -> None:
    monitor = _resource("ServiceMonitor", "threadlab")["spec"]
    service = _resource("Service", "threadlab-metrics")
    assert _labels_match(monitor["selector"]["matchLabels"], service["metadata"]["labels"])
    (endpoint,) = monitor["endpoints"]
    (port,) = service["spec"]["ports"]
    assert endpoint["port"] == port["name"] == "metrics"
    assert port["port"] == 9464
    assert endpoint["path"] == "/metrics"
    assert _labels_match(service["spec"]["selector"], _pod_labels("threadlab-bot"))


# Docker Compose


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    return compose


def test_compose_bot_keeps_the_sandbox_layers_and_its_data() -> None:
    bot = _compose()["services"]["bot"]
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert bot["restart"] == "unless-stopped"
    assert any(volume.endswith(":/data") for volume in bot["volumes"])
    # .env.example's ~/.threadlab paths are not on the volume: these must win.
    assert bot["environment"]["THREADLAB_DATA_DIR"].startswith("/data/")
    assert bot["environment"]["THREADLAB_DB_PATH"].startswith("/data/")
    assert "SYS_ADMIN" in bot["cap_add"] and bot["cap_drop"] == ["ALL"]
    assert {"seccomp=unconfined", "apparmor=unconfined"} <= set(bot["security_opt"])
    assert bot["mem_limit"] and bot["pids_limit"]
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert any(str(port).endswith(":9464") for port in bot["ports"])


def test_compose_healthcheck_is_valid_python() -> None:
    test = _compose()["services"]["bot"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "healthcheck", "exec")


# The Docker image


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    logical, current = [], ""
    for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        logical.append(current)
        current = ""
    pairs = []
    for entry in logical:
        keyword, _, rest = entry.strip().partition(" ")
        pairs.append((keyword.upper(), " ".join(rest.split())))
    return pairs


def _dockerfile_uid() -> int:
    users = [args for keyword, args in _instructions() if keyword == "USER"]
    return int(users[-1].split(":")[0])


def test_dockerfile_is_multi_stage_and_copies_the_venv_between_stages() -> None:
    stages = [args for keyword, args in _instructions() if keyword == "FROM"]
    assert len(stages) == 2
    assert all(s.startswith("python:3.11-slim-bookworm AS ") for s in stages)
    assert any(
        keyword == "COPY" and args.startswith("--from=build /opt/venv")
        for keyword, args in _instructions()
    )


def test_dockerfile_runs_as_a_non_root_user() -> None:
    assert _dockerfile_uid() == 10001


def test_dockerfile_installs_the_font_and_libseccomp_lean() -> None:
    installs = [
        args for keyword, args in _instructions() if keyword == "RUN" and "apt-get install" in args
    ]
    assert len(installs) == 1
    (install,) = installs
    for package in ("fonts-wqy-microhei", "fontconfig", "libseccomp2"):
        assert re.search(rf"\b{package}\b", install), package
    assert "--no-install-recommends" in install
    assert "rm -rf /var/lib/apt/lists/*" in install


def test_dockerfile_checks_health_and_starts_the_bot() -> None:
    instructions = dict(_instructions())
    assert "/healthz" in instructions["HEALTHCHECK"]
    assert "THREADLAB_METRICS_PORT" in instructions["HEALTHCHECK"]
    assert json.loads(instructions["ENTRYPOINT"])[-1] == "threadlab"
    assert json.loads(instructions["CMD"]) == ["serve"]
    env = instructions["ENV"]
    assert "THREADLAB_DATA_DIR=/data/data" in env
    assert "THREADLAB_DB_PATH=/data/threadlab.db" in env


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build() -> None:
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    for entry in (".env", ".venv/", ".git/", ".threadlab/"):
        assert entry in ignored, entry

"""The deployment files (deploy/docker-compose.yml, deploy/k8s/*.yaml) against the code and the Rasa configuration.

Static and fast: plain YAML and the code's syntax tree, no Docker, no cluster, no network. Each service's code is
the import closure of what the service runs (for Rasa: the channels in credentials.yml and the components in
config.yml), and the environment variables it reads are found in that code's syntax tree.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Set

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
PACKAGES = {"bot", "actions", "knowledge", "channels", "cases", "outreach"}

# A variable is a secret when its name says so; such a variable never holds a literal in compose or the ConfigMap.
SECRET_NAME = re.compile(r"PASSWORD|PASS$|TOKEN|SECRET|SALT|_KEY$")
# scheme://user:password@host: the password part.
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]*)@")
COMPOSE_REF = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(:\?[^}]*|:-)?\}$")  # ${VAR}, ${VAR:?msg}, ${VAR:-} (empty default)
K8S_REF = re.compile(r"^\$\([A-Z][A-Z0-9_]*\)$")
ENV_NAME = re.compile(r"^(ANSINH|RASA|DB|REDIS|RABBITMQ|TELEGRAM|ZALO)_[A-Z0-9_]+$")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Variables some code reads with no default, but only in a one-off command line, never in a served process:
# `python -m channels.telegram set-webhook|poll`. (The served Telegram channel takes its token from credentials.yml,
# whose ${...} are checked below, and it is not enabled there.)
CLI_ONLY = {
    "TELEGRAM_TOKEN": {"_bot_from_env"},
    "TELEGRAM_WEBHOOK_SECRET": {"_set_webhook", "_poll"},
}

# Variables with a default in the code whose default is wrong as soon as there is more than one process or host:
# per service, why it must be set. Each one is checked to be read by that service's code.
PRODUCTION_REQUIRED = {
    "rasa": {
        "ANSINH_DB_URL": "the default is a SQLite file inside each container (web notices, unsubscribes)",
        "ANSINH_HASH_SALT": "the default salt is public; every service must hash sender ids alike",
        "ANSINH_RASA_TOKEN": "the staff relay refuses every call without it",
        "ANSINH_SOCKETIO_REDIS_URL": "without it socket.io rooms stay inside one replica",
    },
    "actions": {
        "ANSINH_DB_URL": "the default is a SQLite file inside each container",
        "ANSINH_HASH_SALT": "the default salt is public; every service must hash sender ids alike",
        "ANSINH_RATE_LIMIT_REDIS_URL": "without it (or REDIS_HOST) each replica keeps its own rate limit",
        "ANSINH_CONSOLE_BASE_URL": "the case links in new-case notifications",
    },
    "console": {
        "ANSINH_DB_URL": "the default is a SQLite file inside the container",
        "ANSINH_HASH_SALT": "the default salt is public; every service must hash sender ids alike",
        "ANSINH_RASA_TOKEN": "reading trackers and the relay need Rasa's token",
        "ANSINH_RASA_URL": "the default is localhost",
        "ANSINH_CONSOLE_SECRET": "the default is random per process: replicas would refuse each other's forms",
        "ANSINH_CONSOLE_HOST": "the default 127.0.0.1 is unreachable from outside the container",
        "ANSINH_CONSOLE_BASE_URL": "links and the Secure cookie flag",
        "ANSINH_EVENTS_URL": "the dashboard's events database (default: a SQLite file)",
    },
    "scheduler": {
        "ANSINH_DB_URL": "the default is a SQLite file inside the container",
        "ANSINH_HASH_SALT": "the default salt is public; every service must hash sender ids alike",
        "ANSINH_RASA_TOKEN": "the relay refuses every call without it",
        "ANSINH_RASA_URL": "the default is localhost",
    },
    "events-consumer": {
        "ANSINH_EVENTS_URL": "the default is a SQLite file inside the container",
        "ANSINH_RABBITMQ_URL": "the default is guest@localhost",
        "ANSINH_HASH_SALT": "the default salt is public; every service must hash sender ids alike",
    },
    "migrate": {"ANSINH_DB_URL": "the default is a SQLite file inside the container"},
}

# Read by libraries or by a service's own command line, not by the project's code.
NOT_READ_BY_PROJECT_CODE = {"RASA_TELEMETRY_ENABLED", "SQLALCHEMY_SILENCE_UBER_WARNING", "TF_CPP_MIN_LOG_LEVEL",
                            "ANSINH_CORS_ORIGINS"}


# --- the code ------------------------------------------------------------------------------------------------

def _module_file(name: str):
    p = ROOT.joinpath(*name.split("."))
    if (p / "__init__.py").exists():
        return p / "__init__.py"
    if p.with_suffix(".py").exists():
        return p.with_suffix(".py")
    return None


@lru_cache(maxsize=None)
def _tree(name: str) -> ast.Module:
    return ast.parse(_module_file(name).read_text(encoding="utf-8"))


def _imports(name: str) -> Set[str]:
    f = _module_file(name)
    package = name if f.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in ast.walk(_tree(name)):  # function-level imports too: they run when the function does
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in PACKAGES and _module_file(m)}


def closure(entries: Iterable[str]) -> Set[str]:
    seen: Set[str] = set()
    todo = list(entries)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        assert _module_file(m), f"{m} is not a module of the project"
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # importing a.b runs a/__init__.py
        todo += sorted(_imports(m))
    return seen


def _is_environ(node: ast.AST) -> bool:
    """os.environ, environ, or a mapping parameter named env (the code's `env = os.environ if env is None`)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id in {"environ", "env"})


@lru_cache(maxsize=None)
def env_reads(module: str) -> Dict[str, Dict[str, Set[str]]]:
    """{variable: {"get": {functions}, "item": {functions}}}: .get()/getenv() reads tolerate absence, [] does not.

    A name in capitals handed to a helper (``t("ANSINH_QUIET_START", default)``) counts as a read with a default."""
    reads: Dict[str, Dict[str, Set[str]]] = {}

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            fn = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            kind = name = None
            if isinstance(child, ast.Subscript) and _is_environ(child.value) and isinstance(child.slice, ast.Constant):
                kind, name = "item", child.slice.value
            elif isinstance(child, ast.Call) and child.args and isinstance(child.args[0], ast.Constant):
                f = child.func
                if isinstance(f, ast.Attribute) and f.attr == "get" and _is_environ(f.value):
                    kind, name = "get", child.args[0].value
                elif isinstance(f, ast.Attribute) and f.attr == "getenv":
                    kind, name = "get", child.args[0].value
                elif isinstance(child.args[0].value, str) and ENV_NAME.match(child.args[0].value):
                    kind, name = "get", child.args[0].value
            if kind and isinstance(name, str):
                reads.setdefault(name, {"get": set(), "item": set()})[kind].add(fn)
            visit(child, fn)

    visit(_tree(module), "<module>")
    return reads


def service_reads(entries: Iterable[str]) -> Dict[str, Dict[str, Set[str]]]:
    return _service_reads(tuple(sorted(entries)))


@lru_cache(maxsize=None)
def _service_reads(entries) -> Dict[str, Dict[str, Set[str]]]:
    merged: Dict[str, Dict[str, Set[str]]] = {}
    for m in sorted(closure(entries)):
        for name, kinds in env_reads(m).items():
            slot = merged.setdefault(name, {"get": set(), "item": set()})
            for k, fns in kinds.items():
                slot[k] |= {f"{m}:{f}" for f in fns}
    return merged


def no_default(reads: Dict[str, Dict[str, Set[str]]]) -> Set[str]:
    """Read with [] and never with .get(): the code does not run without it."""
    return {n for n, k in reads.items() if k["item"] and not k["get"]}


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def _yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)


def rasa_entries() -> List[str]:
    """Custom channels in credentials.yml and custom components and policies in config.yml: their modules."""
    credentials = _yaml(ROOT / "credentials.yml") or {}
    config = _yaml(ROOT / "config.yml") or {}
    names = list(credentials) + [c["name"] for c in (config.get("pipeline") or []) + (config.get("policies") or [])]
    modules = [n.rsplit(".", 1)[0] for n in names if "." in n]
    assert modules, "no custom channel or component found: the Rasa entry points changed"
    return modules


SERVICES = {
    # name: compose service, k8s workload, code it runs, what its command must say
    "rasa": ("rasa", "ansinh-rasa", None, ["rasa run ", "--enable-api", "--auth-token",
                                          "--endpoints endpoints.production.yml", "--credentials credentials.yml"]),
    "actions": ("actions", "ansinh-actions", ["actions.actions"], ["rasa run actions", "actions.actions"]),
    "console": ("console", "ansinh-console", ["channels.console.__main__"], ["-m channels.console serve"]),
    "scheduler": ("scheduler", "ansinh-scheduler", ["outreach.scheduler"], ["-m outreach.scheduler loop"]),
    "events-consumer": ("events-consumer", "ansinh-events-consumer", ["outreach.events_consumer"],
                        ["-m outreach.events_consumer"]),
    "migrate": ("migrate", "ansinh-migrate", ["cases.db"], ["-m cases.db upgrade"]),
}


def entries_of(service: str) -> List[str]:
    return SERVICES[service][2] or rasa_entries()


def endpoint_placeholders() -> Set[str]:
    text = (ROOT / "endpoints.production.yml").read_text(encoding="utf-8")
    found = set(PLACEHOLDER.findall(text))
    assert {"DB_PASSWORD", "ACTION_ENDPOINT_URL", "REDIS_HOST"} <= found, "endpoints.production.yml changed shape"
    return found


def credentials_placeholders() -> Set[str]:
    """${...} in the channels credentials.yml enables (comments are not configuration)."""
    found: Set[str] = set()

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            found.update(PLACEHOLDER.findall(v))

    walk(_yaml(ROOT / "credentials.yml") or {})
    return found


# --- the deployment files ------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def compose() -> dict:
    data = _yaml(COMPOSE)
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), "compose file without services"
    return data


def compose_env(service: str) -> Dict[str, str]:
    env = compose()["services"][service].get("environment") or {}
    assert isinstance(env, dict), f"compose {service}: write environment as a mapping"
    return {k: "" if v is None else str(v) for k, v in env.items()}


def compose_command(service: str) -> str:
    cmd = compose()["services"][service].get("command")
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd or "")


@lru_cache(maxsize=None)
def k8s_docs() -> List[dict]:
    """Every manifest in deploy/k8s (kustomization.yaml is kustomize's own file, not a manifest)."""
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=LOADER):
            if doc is not None:
                doc["__file__"] = path.name
                docs.append(doc)
    return docs


def k8s(kind: str, name: str) -> dict:
    found = [d for d in k8s_docs() if d.get("kind") == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name} in deploy/k8s, found {len(found)}"
    return found[0]


def k8s_workload(name: str) -> dict:
    found = [d for d in k8s_docs() if d.get("kind") in {"Deployment", "Job"} and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one Deployment or Job {name} in deploy/k8s, found {len(found)}"
    return found[0]


def k8s_container(name: str) -> dict:
    containers = k8s_workload(name)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def configmap() -> Dict[str, str]:
    return {k: str(v) for k, v in (k8s("ConfigMap", "ansinh-config")["data"] or {}).items()}


def secret_template_keys() -> Set[str]:
    return set(k8s("Secret", "ansinh-secrets")["stringData"])


def k8s_env(name: str) -> Dict[str, dict]:
    """What the container gets: {variable: its source} (ConfigMap keys through envFrom, then env entries)."""
    c = k8s_container(name)
    provided: Dict[str, dict] = {}
    for ref in c.get("envFrom") or ():
        cm = (ref.get("configMapRef") or {}).get("name")
        assert cm == "ansinh-config", f"{name}: envFrom only from the ConfigMap ansinh-config, not {ref}"
        provided.update({k: {"configMap": cm} for k in configmap()})
    for e in c.get("env") or ():
        provided[e["name"]] = e
    return provided


def k8s_command(name: str) -> str:
    c = k8s_container(name)
    return " ".join(list(c.get("command") or []) + list(c.get("args") or []))


# --- tests ---------------------------------------------------------------------------------------------------

def test_every_file_parses():
    assert compose()["services"]
    docs = k8s_docs()
    files = {d["__file__"] for d in docs}
    assert {"rasa.yaml", "actions.yaml", "configmap.yaml", "secret.template.yaml", "ingress.yaml"} <= files
    for d in docs:
        assert d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"), d["__file__"]
    kustomization = _yaml(K8S / "kustomization.yaml")
    for resource in kustomization["resources"]:
        assert (K8S / resource).exists(), f"kustomization.yaml lists a missing {resource}"
    assert "secret.template.yaml" not in kustomization["resources"], "the Secret template must not be applied"


def test_the_services_run_what_their_code_is():
    for service, (c_name, k_name, _, says) in SERVICES.items():
        for where, command in (("compose", compose_command(c_name)), ("k8s", k8s_command(k_name))):
            for s in says:
                assert s in command, f"{where} {service}: command {command!r} should contain {s!r}"
    assert "ACTION_ENDPOINT_URL" in endpoint_placeholders()


def test_endpoint_placeholders_reach_rasa():
    needed = endpoint_placeholders() | credentials_placeholders()
    missing = needed - set(compose_env("rasa"))
    assert not missing, f"compose rasa lacks {sorted(missing)} (endpoints.production.yml / credentials.yml)"
    missing = needed - set(k8s_env("ansinh-rasa"))
    assert not missing, f"k8s ansinh-rasa lacks {sorted(missing)} (endpoints.production.yml / credentials.yml)"


def test_cli_only_variables_stay_in_the_command_line():
    assert "channels.telegram.TelegramInput" not in (_yaml(ROOT / "credentials.yml") or {}), (
        "the Telegram channel is enabled: give Rasa TELEGRAM_TOKEN and TELEGRAM_WEBHOOK_SECRET and drop them from CLI_ONLY")
    reads = env_reads("channels.telegram")
    for name, functions in CLI_ONLY.items():
        assert name in reads, f"{name} is no longer read: drop it from CLI_ONLY"
        assert reads[name]["item"] <= functions, f"{name} is now read in {reads[name]['item'] - functions}"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_variables_without_default_are_provided(service):
    c_name, k_name, _, _ = SERVICES[service]
    reads = service_reads(entries_of(service))
    required = no_default(reads) - set(CLI_ONLY)
    for name, why in PRODUCTION_REQUIRED[service].items():
        assert name in reads, f"{service} no longer reads {name}: update PRODUCTION_REQUIRED"
        required.add(name)
    missing = required - set(compose_env(c_name))
    assert not missing, f"compose {c_name} lacks {sorted(missing)}"
    missing = required - set(k8s_env(k_name))
    assert not missing, f"k8s {k_name} lacks {sorted(missing)}"


def test_provided_variables_are_read_somewhere():
    """A misspelt variable is provided and silently unused: every one must be read by some code or by Rasa."""
    known = set(NOT_READ_BY_PROJECT_CODE) | endpoint_placeholders()
    for service in SERVICES:
        known |= set(service_reads(entries_of(service)))
    images = {"postgres", "redis", "rabbitmq", "lb"}
    for name, svc in compose()["services"].items():
        if name in images:
            continue
        unknown = set(compose_env(name)) - known
        assert not unknown, f"compose {name}: {sorted(unknown)} are read by nothing"
    # ConfigMap keys may also be ingredients of the URLs the Deployments build with $(VAR).
    ingredients = set()
    for d in k8s_docs():
        if d.get("kind") in {"Deployment", "Job"}:
            for e in d["spec"]["template"]["spec"]["containers"][0].get("env") or ():
                ingredients |= set(re.findall(r"\$\(([A-Z0-9_]+)\)", e.get("value") or ""))
    unknown = set(configmap()) - known - ingredients
    assert not unknown, f"ConfigMap: {sorted(unknown)} are read by nothing"


def test_no_literal_secret_in_compose():
    for name, svc in compose()["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            value = "" if value is None else str(value)
            if SECRET_NAME.search(key):
                assert COMPOSE_REF.match(value), f"compose {name}.{key} holds {value!r}: use ${{{key}:?...}}"
            for pw in URL_PASSWORD.findall(value):
                assert COMPOSE_REF.match(pw), f"compose {name}.{key}: a password written into the URL"
        command = compose_command(name)
        for flag in re.findall(r"--auth-token\s+(\S+)", command):
            assert "$" in flag, f"compose {name}: a literal --auth-token"


def test_no_literal_secret_in_k8s():
    for key, value in configmap().items():
        assert not SECRET_NAME.search(key), f"ConfigMap holds the secret {key}: move it to the Secret"
        assert not URL_PASSWORD.findall(value), f"ConfigMap {key}: a URL with a password"
    secret = k8s("Secret", "ansinh-secrets")
    assert "data" not in secret, "the Secret template holds placeholders in stringData only"
    for key, value in secret["stringData"].items():
        assert str(value).startswith("REPLACE_ME"), f"Secret template {key} holds a value, not a placeholder"
    for d in k8s_docs():
        if d.get("kind") not in {"Deployment", "Job"}:
            continue
        workload = d["metadata"]["name"]
        defined = set(configmap())
        for e in d["spec"]["template"]["spec"]["containers"][0].get("env") or ():
            key, value = e["name"], e.get("value")
            if SECRET_NAME.search(key):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef") or {}
                assert value is None and ref.get("name") == "ansinh-secrets", f"{workload} {key}: from the Secret only"
                assert ref.get("key") in secret_template_keys(), f"{workload} {key}: the Secret has no {ref.get('key')}"
            if value:
                for pw in URL_PASSWORD.findall(value):
                    assert K8S_REF.match(pw), f"{workload} {key}: a password written into the URL"
                used = set(re.findall(r"\$\(([A-Z0-9_]+)\)", value))
                assert used <= defined, f"{workload} {key} uses {sorted(used - defined)} before they are defined"
            defined.add(key)


def test_secrets_and_shared_settings_agree_between_services():
    """One hash salt, one case database, one Rasa token for all the services that read them."""
    for name in ("ANSINH_HASH_SALT", "ANSINH_DB_URL", "ANSINH_RASA_TOKEN", "ANSINH_EVENTS_URL"):
        values = {svc: env[name] for svc in compose()["services"] if name in (env := compose_env(svc))}
        assert len(values) >= 1 and len(set(values.values())) == 1, f"compose: {name} differs: {values}"
        sources = {w: str(e[name]) for w in (SERVICES[s][1] for s in SERVICES) if name in (e := k8s_env(w))}
        assert len(set(sources.values())) == 1, f"k8s: {name} differs: {sources}"
    queues = _yaml(ROOT / "endpoints.production.yml")["event_broker"]["queues"]
    assert compose_env("events-consumer")["ANSINH_EVENTS_QUEUE"] in queues
    assert configmap()["ANSINH_EVENTS_QUEUE"] in queues


def test_rasa_and_actions_run_at_least_two_replicas():
    for service in ("rasa", "actions"):
        replicas = (compose()["services"][SERVICES[service][0]].get("deploy") or {}).get("replicas", 1)
        assert int(replicas) >= 2, f"compose {service}: {replicas} replica(s)"
        replicas = k8s("Deployment", SERVICES[service][1])["spec"].get("replicas", 1)
        assert int(replicas) >= 2, f"k8s {service}: {replicas} replica(s)"


def test_probes_resources_and_healthchecks():
    for workload, path in (("ansinh-rasa", "/"), ("ansinh-actions", "/health")):
        c = k8s_container(workload)
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in c or probe != "startupProbe":
                assert c[probe]["httpGet"]["path"] == path, f"{workload} {probe}"
    for d in k8s_docs():
        if d.get("kind") in {"Deployment", "Job"}:
            res = d["spec"]["template"]["spec"]["containers"][0].get("resources") or {}
            assert res.get("requests") and res.get("limits"), f"{d['metadata']['name']}: requests and limits"
    for name, svc in compose()["services"].items():
        if name != "migrate":
            assert svc.get("healthcheck", {}).get("test"), f"compose {name}: no healthcheck"


def test_model_volume_and_load_balancer():
    rasa = compose()["services"]["rasa"]
    assert any(str(v).endswith(":/models:ro") for v in rasa["volumes"]), "compose rasa: the model volume, read-only"
    assert "--model /models/" in compose_command("rasa") and "--model /models/" in k8s_command("ansinh-rasa")
    assert compose_env("rasa")["ACTION_ENDPOINT_URL"].startswith("http://lb:5055/")
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    socketio = re.search(r"location /socket\.io/ \{(.*?)\}", conf, re.S)
    assert socketio and "Upgrade $http_upgrade" in socketio.group(1) and "$connection_upgrade" in socketio.group(1)
    assert re.search(r"server rasa:5005", conf) and re.search(r"server actions:5055", conf)
    chat = k8s("Ingress", "ansinh-chat")
    assert "nginx.ingress.kubernetes.io/proxy-read-timeout" in chat["metadata"]["annotations"]
    paths = {p["path"] for r in chat["spec"]["rules"] for p in r["http"]["paths"]}
    assert "/socket.io/" in paths


def test_dockerfile_builds_from_the_lock():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.10-slim", text, re.M)
    assert "requirements.lock" in text
    for name, svc in compose()["services"].items():
        if name not in {"postgres", "redis", "rabbitmq", "lb"}:
            build = svc.get("build") or {}
            assert build.get("dockerfile") == "deploy/Dockerfile", f"compose {name}: the shared image"

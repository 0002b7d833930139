"""The deployment files (deploy/, docs/deployment.md) checked against each other and the code.

    .venv/bin/python -m pytest tests/deploy

Where each truth comes from:

- deploy/k8s/*.yaml validate against the Kubernetes OpenAPI schemas bundled in the PyPI
  package kubernetes-validate, in strict mode (an unknown or misspelt field fails), for
  Kubernetes 1.28. kubernetes-validate 1.28.3 is pinned because it is the last release that
  runs beside Rasa's pins (jsonschema<4.18, attrs<22.2): later ones need `referencing`.
- deploy/compose/compose.yaml validates against the Compose Specification's JSON schema,
  vendored as deploy/compose/compose-spec.json (source and licence: deploy/compose/README.md),
  after interpolation, as docker compose validates it.
- The commands are those `xiaoer run` starts (bot/cli.py, service_for), and each command
  line is parsed by the program's own argument parser; health checks use the same URLs.
- Every process gets what its code needs in production: the settings loaders
  (bot/settings.py, handoff/console/settings.py, order_service/settings.py, handoff/db.py,
  handoff/config.py) run on the environment each container would have, and no setting the
  process reads (found through its import graph) may keep a development default, a
  loopback address or a SQLite file; the variables endpoints.yml and credentials.yml name
  must be set.
- No secret value is committed: the secrets (derived from the DEV_* defaults of the settings
  modules) come from `${VAR:?...}` in compose and from a secretKeyRef in Kubernetes.
- deploy/compose/nginx.conf is deploy/nginx/xiaoer.conf.template rendered with the compose
  services by bench/nginx.py (the local topology's own renderer), `nginx -t` accepts it when
  nginx is installed, and the Ingress objects route and stick as the template does.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple
from unittest import mock
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from bench import nginx

from tests.services import files_only

pytestmark = files_only

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose" / "compose.yaml"
COMPOSE_SCHEMA = DEPLOY / "compose" / "compose-spec.json"
ENV_EXAMPLE = DEPLOY / "compose" / ".env.example"
NGINX_CONF = DEPLOY / "compose" / "nginx.conf"
TEMPLATE = DEPLOY / "nginx" / "xiaoer.conf.template"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
K8S = DEPLOY / "k8s"
DOCS = ROOT / "docs" / "deployment.md"

K8S_VERSION = "1.28"
# The long-running processes; the same names in compose, Kubernetes and bot/cli.py.
PROCESSES = ("rasa", "actions", "console", "orders")
SCALED = ("rasa", "actions", "console")            # at least two replicas each
# Secrets of the data services, beside those the code defines (secret_vars()).
COMPOSE_DATA_SECRETS = {"POSTGRES_PASSWORD"}
K8S_DATA_SECRETS = {"DATABASE_URL", "REDIS_PASSWORD"}   # the managed services' credentials
# Settings given on the command line (--host/-i, --port), which
# test_command_and_health_check_are_those_xiaoer_run_uses checks.
COMMAND_LINE_FIELDS = {"host", "bind_host", "port"}
# (process, bot setting): modules in that process's import graph that read the setting
# although the process never runs that code. The console imports bot.stories for
# story_yaml() only; the recorder in the same module (`xiaoer record-stories`) reads these.
NOT_READ_BY_PROCESS = {
    ("console", "rasa_api_token"): {"bot.stories"},
    ("console", "shopper_token_secret"): {"bot.stories"},
}
PACKAGES = {"bot", "actions", "connectors", "handoff", "order_service", "storefront", "trainer", "bench"}


# --- reading the files ----------------------------------------------------------------------

def yaml_file(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@lru_cache(maxsize=None)
def k8s_documents() -> Tuple[Tuple[str, dict], ...]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return tuple(docs)


def k8s_objects(kind: str) -> Dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def k8s_container(name: str) -> dict:
    """The container of Deployment ``name`` (one container per pod)."""
    containers = pod_spec(k8s_objects("Deployment")[name])["containers"]
    assert len(containers) == 1, f"Deployment {name}: one container expected"
    return containers[0]


def k8s_command(container: dict) -> List[str]:
    return list(container.get("command", [])) + list(container.get("args", []))


def env_file(path: Path) -> Dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@lru_cache(maxsize=None)
def dockerfile_final_stage() -> Tuple[str, ...]:
    """The instructions of the last stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return tuple(lines[last_from:])


def dockerfile_env() -> Dict[str, str]:
    env: Dict[str, str] = {}
    for line in dockerfile_final_stage():
        if line.upper().startswith("ENV "):
            for pair in line[4:].split():
                name, _, value = pair.partition("=")
                env[name] = value.replace("$PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


def dockerfile_value(instruction: str) -> str:
    values = [line.split(None, 1)[1] for line in dockerfile_final_stage()
              if line.upper().startswith(instruction + " ")]
    assert values, f"the image's last stage has no {instruction}"
    return values[-1]


# --- compose interpolation ------------------------------------------------------------------

VARIABLE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def synthetic(name: str) -> str:
    """A stand-in for a secret's value: long enough for CONSOLE_SECRET, safe in a URL."""
    return f"synthetic-{name.lower().replace('_', '-')}-{'0' * 32}"


def compose_variables(document: Any) -> Dict[str, Set[str]]:
    """Every ${VAR...} in a compose document's values: the name and how each use treats a
    missing value (comments are not interpolated, so they are not read)."""
    found: Dict[str, Set[str]] = {}
    for match in VARIABLE.finditer(json.dumps(document, ensure_ascii=False)):
        if match.group(1):
            continue
        name = match.group(2) or match.group(5)
        found.setdefault(name, set()).add(match.group(3) or "")
    return found


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's interpolation of every string in ``value`` (keys are not interpolated)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        if match.group(1):
            return "$"
        name, operator, argument = match.group(2) or match.group(5), match.group(3) or "", match.group(4)
        current = env.get(name)
        missing = not current if operator.startswith(":") else current is None
        if missing and operator.endswith("-"):
            return argument
        if missing and operator.endswith("?"):
            raise KeyError(f"{name}: {argument}")
        return current or ""

    return VARIABLE.sub(replace, value)


@lru_cache(maxsize=None)
def compose_environment() -> Tuple[Tuple[str, str], ...]:
    """What `docker compose` would interpolate with: .env.example, secrets filled in."""
    env = {name: value for name, value in env_file(ENV_EXAMPLE).items() if value}
    for name in compose_variables(yaml_file(COMPOSE_FILE)):
        env.setdefault(name, synthetic(name))
    return tuple(env.items())


@lru_cache(maxsize=None)
def compose() -> dict:
    return interpolate(yaml_file(COMPOSE_FILE), dict(compose_environment()))


def compose_env(service: str) -> Dict[str, str]:
    """The environment of a compose service's container: the image's, then the service's."""
    declared = compose()["services"][service].get("environment") or {}
    assert isinstance(declared, dict), f"{service}: environment as a mapping, please"
    return {**dockerfile_env(), **{k: "" if v is None else str(v) for k, v in declared.items()}}


def app_services() -> Dict[str, dict]:
    """The compose services that run the xiaoer image."""
    image = compose()["services"]["rasa"]["image"]
    return {name: s for name, s in compose()["services"].items() if s.get("image") == image}


# --- the Kubernetes environment -------------------------------------------------------------

def service_link_env() -> Dict[str, str]:
    """What Kubernetes adds for every Service of the namespace unless enableServiceLinks is false."""
    env = {}
    for name, service in k8s_objects("Service").items():
        prefix = name.upper().replace("-", "_")
        port = service["spec"]["ports"][0]["port"]
        env.update({f"{prefix}_SERVICE_HOST": "10.96.0.10", f"{prefix}_SERVICE_PORT": str(port),
                    f"{prefix}_PORT": f"tcp://10.96.0.10:{port}",
                    f"{prefix}_PORT_{port}_TCP": f"tcp://10.96.0.10:{port}"})
    return env


def expand_k8s(value: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0).startswith("$$"):
            return match.group(0)[1:]
        return env.get(match.group(1), match.group(0))

    return re.sub(r"\$\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", replace, value)


def k8s_env(workload: dict) -> Dict[str, str]:
    """The container's environment as the kubelet builds it; secrets are stand-ins."""
    spec = pod_spec(workload)
    container = spec["containers"][0]
    config_maps = {name: cm.get("data", {}) for name, cm in k8s_objects("ConfigMap").items()}
    env: Dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "envFrom: only ConfigMaps (secrets one by one, by secretKeyRef)"
        env.update(config_maps[source["configMapRef"]["name"]])
    services = {} if spec.get("enableServiceLinks") is False else service_link_env()
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = expand_k8s(str(entry["value"]), {**services, **env})
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            env[entry["name"]] = synthetic(entry["valueFrom"]["secretKeyRef"]["key"])
        elif "configMapKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["configMapKeyRef"]
            env[entry["name"]] = config_maps[ref["name"]][ref["key"]]
        else:
            raise AssertionError(f"env {entry['name']}: unsupported source {entry}")
    return {**dockerfile_env(), **services, **env}


def deployed_env(platform: str, process: str) -> Dict[str, str]:
    if platform == "compose":
        return compose_env(process)
    return k8s_env(k8s_objects("Deployment")[process])


def deployed_command(platform: str, process: str) -> List[str]:
    if platform == "compose":
        return list(compose()["services"][process]["command"])
    container = k8s_container(process)
    return [expand_k8s(part, k8s_env(k8s_objects("Deployment")[process])) for part in k8s_command(container)]


# --- what the code says ---------------------------------------------------------------------

def module_file(name: str) -> Optional[Path]:
    path = ROOT.joinpath(*name.split("."))
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    if path.with_suffix(".py").exists():
        return path.with_suffix(".py")
    return None


@lru_cache(maxsize=None)
def import_closure(entries: Tuple[str, ...]) -> Dict[str, Path]:
    """Every project module the entry modules may import, lazily imported ones included."""
    seen: Dict[str, Path] = {}
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] not in PACKAGES:
            continue
        path = module_file(name)
        if path is None:
            continue
        seen[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                todo.append(base)
                todo += [f"{base}.{alias.name}" for alias in node.names]
    return seen


def entry_modules(process: str) -> Tuple[str, ...]:
    """Where each process starts running project code."""
    if process == "rasa":
        # Rasa loads the channels (credentials.yml), the event broker (endpoints.yml) and the
        # model's custom components and policies (config.yml).
        names = [key for key in yaml_file(ROOT / "credentials.yml") if "." in key]
        names += [section["type"] for section in yaml_file(ROOT / "endpoints.yml").values()
                  if isinstance(section, dict) and "." in str(section.get("type", ""))]
        config = yaml_file(ROOT / "config.yml")
        names += [item["name"] for item in config["pipeline"] + config["policies"] if "." in item["name"]]
        return tuple(sorted({name.rpartition(".")[0] for name in names}))
    if process == "actions":
        # rasa_sdk --actions actions imports every module of the package.
        return tuple(sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                            for p in (ROOT / "actions").rglob("*.py")))
    return {"console": ("handoff.console.__main__",), "orders": ("order_service.__main__",)}[process]


def attribute_readers(modules: Mapping[str, Path], names: Set[str]) -> Dict[str, Set[str]]:
    """For each attribute name, the modules that read ``<something>.<name>``."""
    readers: Dict[str, Set[str]] = {}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in names:
                readers.setdefault(node.attr, set()).add(module)
    return readers


def calls(modules: Mapping[str, Path], function: str) -> bool:
    for path in modules.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                target = node.func
                if getattr(target, "id", None) == function or getattr(target, "attr", None) == function:
                    return True
    return False


def settings_modules():
    from bot import settings as bot_settings
    from handoff.console import settings as console_settings
    from order_service import settings as order_settings

    return bot_settings, console_settings, order_settings


def run_loader(loader: Callable[[Dict[str, str]], Any], env: Mapping[str, str]) -> Any:
    """Loaders read os.environ (bot/settings.py) or their argument: give them both."""
    with mock.patch.dict(os.environ, dict(env), clear=True):
        return loader(dict(env))


def loaders() -> List[Tuple[Any, Callable, Dict[str, str]]]:
    """(module, loader, environment for its development defaults) per settings module."""
    bot_settings, console_settings, order_settings = settings_modules()
    return [
        (bot_settings, lambda env: bot_settings.Settings.from_env(), {}),
        (console_settings, lambda env: console_settings.ConsoleSettings.from_env(env), {"CONSOLE_DEV": "1"}),
        (order_settings, lambda env: order_settings.Settings.from_env(env), {}),
    ]


def dev_values(module) -> Set[str]:
    return {value for name, value in vars(module).items() if name.startswith("DEV_") and isinstance(value, str)}


@lru_cache(maxsize=None)
def all_dev_values() -> frozenset:
    return frozenset().union(*(dev_values(module) for module, _, _ in loaders()))


def fields_of(settings: Any) -> Dict[str, Any]:
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}


@lru_cache(maxsize=None)
def secret_vars() -> frozenset:
    """The variables that replace a public DEV_* default: the code's secrets."""
    found = set()
    for module, loader, base in loaders():
        dev = dev_values(module)
        default = fields_of(run_loader(loader, base))
        for name in set(re.findall(r"[\"']([A-Z][A-Z0-9_]{2,})[\"']", Path(module.__file__).read_text())):
            try:
                changed = fields_of(run_loader(loader, {**base, name: "m" * 40}))
            except ValueError:          # a number or a flag: not a secret
                continue
            if any(isinstance(value, str) and value in dev and changed[key] != value
                   for key, value in default.items()):
                found.add(name)
    return frozenset(found)


def unsafe(value: Any) -> Optional[str]:
    """Why a setting's value cannot serve several replicas in production, if it cannot."""
    if value is None:
        return "unset"
    if not isinstance(value, (str, Path)):
        return None
    text = str(value)
    if text in all_dev_values():
        return "the public development default"
    if text.startswith("sqlite"):
        return "a SQLite file inside the container"
    host = urlsplit(text).hostname if "://" in text else text
    if host in ("127.0.0.1", "localhost", "::1"):
        return "a loopback address"
    return None


def config_file_variables(path: Path) -> Set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", path.read_text()))


def expand_config(value: Any, env: Mapping[str, str]) -> Iterator[Tuple[str, str]]:
    """(template, expanded) for every string of a Rasa config file that names a variable."""
    if isinstance(value, dict):
        for item in value.values():
            yield from expand_config(item, env)
    elif isinstance(value, str) and "${" in value:
        yield value, re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), value)


def requirement_problems(process: str, env: Mapping[str, str]) -> List[str]:
    """What would break or stay insecure if ``process`` ran with ``env``."""
    bot_settings, console_settings, order_settings = settings_modules()
    from handoff.config import EnvReader, HandoffConfig
    from handoff.db import database_url

    reached = import_closure(entry_modules(process))
    problems: List[str] = []
    if EnvReader(env).flag("CONSOLE_DEV", False):
        problems.append("CONSOLE_DEV is on: the console would accept its public development secret")

    if "bot.settings" in reached:
        fields = {f.name for f in dataclasses.fields(bot_settings.Settings)}
        others = {name: path for name, path in reached.items() if name != "bot.settings"}
        default = fields_of(run_loader(lambda e: bot_settings.Settings.from_env(), {}))
        try:
            deployed = fields_of(run_loader(lambda e: bot_settings.Settings.from_env(), env))
        except ValueError as error:
            problems.append(f"bot/settings.py cannot read the environment: {error}")
            deployed = None
        for field, modules in sorted(attribute_readers(others, fields).items()):
            modules = modules - NOT_READ_BY_PROCESS.get((process, field), set())
            if deployed is None or not modules or field in COMMAND_LINE_FIELDS or not unsafe(default[field]):
                continue
            why = unsafe(deployed[field])
            if why:
                problems.append(f"bot setting {field} (read by {', '.join(sorted(modules))}) would be {why}")

    if "handoff.console.settings" in reached:
        default = fields_of(run_loader(console_settings.ConsoleSettings.from_env, {"CONSOLE_DEV": "1"}))
        try:
            deployed = fields_of(run_loader(console_settings.ConsoleSettings.from_env, env))
        except ValueError as error:
            problems.append(f"handoff/console/settings.py refuses the environment: {error}")
        else:
            for field, value in default.items():
                why = None if field in COMMAND_LINE_FIELDS or not unsafe(value) else unsafe(deployed[field])
                if why:
                    problems.append(f"console setting {field} would be {why}")

    if "order_service.settings" in reached:
        default = fields_of(run_loader(order_settings.Settings.from_env, {}))
        try:
            deployed = fields_of(run_loader(order_settings.Settings.from_env, env))
        except ValueError as error:
            problems.append(f"order_service/settings.py refuses the environment: {error}")
        else:
            for field, value in default.items():
                why = None if field in COMMAND_LINE_FIELDS or not unsafe(value) else unsafe(deployed[field])
                if why:
                    problems.append(f"order service setting {field} would be {why}")

    if "handoff.db" in reached and calls(reached, "database_url"):
        why = unsafe(run_loader(database_url, env))
        if why:
            problems.append(f"the chat log / service record database (handoff/db.py) would be {why}")

    if "handoff.config" in reached:
        try:
            run_loader(HandoffConfig.from_env, env)
        except ValueError as error:
            problems.append(f"handoff/config.py refuses the environment: {error}")

    if process == "rasa":
        for name in ("endpoints.yml", "credentials.yml"):
            missing = sorted(config_file_variables(ROOT / name) - set(env))
            if missing:
                problems.append(f"{name} needs {', '.join(missing)}")
            for template, expanded in expand_config(yaml_file(ROOT / name), env):
                why = unsafe(expanded) if expanded else None
                if why:
                    problems.append(f"{name}: {template} would be {why}")
    return problems


def one_off_problems(env: Mapping[str, str]) -> List[str]:
    """The migration commands need the databases the servers use, and nothing else."""
    _, console_settings, order_settings = settings_modules()
    from handoff.db import database_url

    problems = []
    for what, loader in (("order database", lambda e: order_settings.Settings.from_env(e).database_url),
                         ("console database", database_url)):
        why = unsafe(run_loader(loader, env))
        if why:
            problems.append(f"the {what} would be {why}")
    try:
        run_loader(lambda e: console_settings.ConsoleSettings.from_env(e, require_secret=False), env)
    except ValueError as error:
        problems.append(f"handoff/console/settings.py refuses the environment: {error}")
    return problems


def expected_service(process: str, tmp_path: Path):
    """The command and health URL `xiaoer run` uses for ``process``, listening on all interfaces."""
    from bot.cli import service_for
    from bot.settings import Settings

    with mock.patch.dict(os.environ, {}, clear=True):
        settings = Settings.from_env()
    settings = dataclasses.replace(settings, bind_host="0.0.0.0", var_dir=tmp_path,
                                   rasa_api_token=synthetic("RASA_API_TOKEN"))
    port = {"rasa": settings.rasa_port, "actions": settings.action_port,
            "console": settings.console_port, "orders": settings.order_service_port}[process]
    service = service_for(process, port, settings)
    command = [Path(service.command[0]).name, *service.command[1:]]
    return command, service.health_url, port, dict(service.env)


def parse_with_real_parser(command: List[str]) -> None:
    """Parses ``command`` with the argument parser of the program it starts; runs nothing."""
    class Parsed(Exception):
        pass

    original = argparse.ArgumentParser.parse_args

    def parse_only(parser, args=None, namespace=None):
        original(parser, args, namespace)
        raise Parsed()

    if command[0] == "rasa":
        from rasa.__main__ import create_argument_parser

        create_argument_parser().parse_args(command[1:])
        return
    assert command[:2] == ["python", "-m"], f"unexpected program {command}"
    module, argv = command[2], command[3:]
    if module == "rasa_sdk":
        from rasa_sdk.endpoint import create_argument_parser

        create_argument_parser().parse_args(argv)
        return
    main = importlib.import_module(f"{module}.__main__").main
    with mock.patch.object(argparse.ArgumentParser, "parse_args", parse_only), pytest.raises(Parsed):
        main(argv)


def shell_steps(script: str) -> List[List[str]]:
    """The `python -m ...` commands of a one-off job's shell script."""
    steps = []
    for line in script.splitlines():
        for part in re.split(r"&&|;|\bthen\b", line):
            words = part.split()
            if words[:2] == ["python", "-m"]:
                steps.append(words)
    return steps


def one_off_script(command: List[str]) -> str:
    assert command[:2] == ["sh", "-ec"], f"a one-off job runs `sh -ec SCRIPT`, not {command}"
    return command[2]


# --- schemas --------------------------------------------------------------------------------

@pytest.mark.parametrize("document", k8s_documents(),
                         ids=lambda d: f"{d[0]}:{d[1]['kind']}/{d[1]['metadata']['name']}")
def test_k8s_manifest_matches_the_kubernetes_schema(document):
    import kubernetes_validate

    _, manifest = document
    try:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']}: {path}: {error.message}")


def test_kustomization_lists_every_manifest_and_one_namespace():
    kustomization = yaml_file(K8S / "kustomization.yaml")
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)
    namespace = kustomization["namespace"]
    assert k8s_objects("Namespace").keys() == {namespace}
    for _, doc in k8s_documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace, f"{doc['kind']}/{doc['metadata']['name']}"
    assert not k8s_objects("Secret"), "no Secret is committed: docs/deployment.md creates it with kubectl"


def test_compose_matches_the_compose_specification():
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # The schema names draft-07 as https://json-schema.org/draft-07/schema, a form jsonschema
    # 4.17 does not map to its draft (it would fall back to the newest one).
    assert re.fullmatch(r"https?://json-schema.org/draft-07/schema#?", schema["$schema"])
    validator = jsonschema.Draft7Validator
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


# --- structure ------------------------------------------------------------------------------

def test_compose_services_are_healthy_before_they_are_used():
    services = compose()["services"]
    one_off = {name for name, s in services.items() if s.get("restart") == "no"}
    assert one_off == {"migrate"}
    for name, service in services.items():
        if name not in one_off:
            test = service.get("healthcheck", {}).get("test")
            assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name}: no healthcheck"
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on a missing {dependency}"
            expected = "service_completed_successfully" if dependency in one_off else "service_healthy"
            assert rule["condition"] == expected, f"{name} → {dependency}"
    for name in app_services():
        if name not in one_off:
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {"rasa", "console"} <= set(services["nginx"]["depends_on"])


def test_compose_services_reserve_and_limit_resources():
    for name, service in compose()["services"].items():
        resources = service.get("deploy", {}).get("resources", {})
        for kind in ("reservations", "limits"):
            assert {"cpus", "memory"} <= set(resources.get(kind, {})), f"{name}: deploy.resources.{kind}"


def test_k8s_containers_have_probes_resources_and_run_as_non_root():
    user = dockerfile_value("USER")
    assert re.fullmatch(r"\d+:\d+", user), f"the image must run as a numeric user, not {user!r}"
    uid = int(user.split(":")[0])
    workloads = {**k8s_objects("Deployment"), **k8s_objects("Job")}
    assert set(PROCESSES) <= set(k8s_objects("Deployment"))
    for name, workload in workloads.items():
        spec = pod_spec(workload)
        security = spec.get("securityContext", {})
        assert security.get("runAsNonRoot") is True and security.get("runAsUser") == uid, name
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container.get("resources", {}).get(kind, {})), \
                    f"{name}: resources.{kind}"
            if workload["kind"] == "Deployment":
                for probe in ("readinessProbe", "livenessProbe"):
                    assert probe in container, f"{name}: no {probe}"
    assert "startupProbe" in k8s_container("rasa"), "Rasa needs a minute to load its model"


@pytest.mark.parametrize("process", SCALED)
def test_scaled_processes_have_two_replicas_or_more(process):
    assert compose()["services"][process]["deploy"]["replicas"] >= 2
    assert k8s_objects("Deployment")[process]["spec"]["replicas"] >= 2


def test_k8s_services_budgets_and_autoscaler_find_their_pods():
    deployments = k8s_objects("Deployment")

    def pods(selector: Mapping[str, str]) -> List[str]:
        return [name for name, d in deployments.items()
                if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]

    for name, service in k8s_objects("Service").items():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name
        matched = pods(service["spec"]["selector"])
        assert len(matched) == 1, f"Service {name} selects {matched}"
        port_names = {p["name"] for p in k8s_container(matched[0])["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, f"Service {name}: targetPort {port['targetPort']}"
    budgets = {name: pods(b["spec"]["selector"]["matchLabels"]) for name, b in k8s_objects("PodDisruptionBudget").items()}
    for process in ("rasa", "console"):
        assert [process] in budgets.values(), f"no PodDisruptionBudget for {process}"
    for budget in k8s_objects("PodDisruptionBudget").values():
        assert budget["spec"]["minAvailable"] == 1
    autoscaler = k8s_objects("HorizontalPodAutoscaler")["rasa"]["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "rasa"}
    assert autoscaler["minReplicas"] >= 2 and autoscaler["metrics"][0]["resource"]["name"] == "cpu"


# --- commands, health checks, images --------------------------------------------------------

@pytest.mark.parametrize("platform", ["compose", "k8s"])
@pytest.mark.parametrize("process", PROCESSES)
def test_command_and_health_check_are_those_xiaoer_run_uses(process, platform, tmp_path):
    command, health_url, port, extra_env = expected_service(process, tmp_path)
    assert deployed_command(platform, process) == command
    env = deployed_env(platform, process)
    assert {name: env.get(name) for name in extra_env} == extra_env, "the service's own variables"
    health = urlsplit(health_url)
    if platform == "compose":
        check = " ".join(compose()["services"][process]["healthcheck"]["test"])
        assert re.findall(r"https?://[^'\"\s]+", check) == [health_url]
    else:
        container = k8s_container(process)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in container:
                get = container[probe]["httpGet"]
                assert get["path"] == health.path and ports.get(get["port"], get["port"]) == port, probe


def one_off_commands() -> List[Tuple[str, List[str]]]:
    jobs = [("compose migrate", compose()["services"]["migrate"]["command"])]
    jobs += [(f"k8s Job {name}", k8s_command(job["spec"]["template"]["spec"]["containers"][0]))
             for name, job in k8s_objects("Job").items()]
    return [(f"{where}: {' '.join(step[2:4])}", step) for where, command in jobs
            for step in shell_steps(one_off_script(command))]


@pytest.mark.parametrize("command", [c for _, c in one_off_commands()] +
                         [deployed_command("compose", p) for p in PROCESSES],
                         ids=[w for w, _ in one_off_commands()] + [f"compose {p}" for p in PROCESSES])
def test_command_line_is_accepted_by_the_program(command):
    parse_with_real_parser(command)


def test_migrations_run_before_the_servers():
    compose_steps = [" ".join(s[2:4]) for s in shell_steps(one_off_script(compose()["services"]["migrate"]["command"]))]
    assert compose_steps[0] == "order_service migrate" and "handoff.console migrate" in compose_steps
    assert any(step.startswith("handoff.console first-admin") for step in compose_steps)
    for job in k8s_objects("Job").values():
        steps = [" ".join(s[2:4]) for s in shell_steps(one_off_script(k8s_command(pod_spec(job)["containers"][0])))]
        assert steps == ["order_service migrate", "handoff.console migrate"]


def test_one_image_for_every_process():
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    compose_images = {s["image"] for s in app_services().values()}
    k8s_images = {c["image"] for w in [*k8s_objects("Deployment").values(), *k8s_objects("Job").values()]
                  for c in pod_spec(w)["containers"]}
    assert compose_images == k8s_images == {f"xiaoer:{version}"}
    assert set(app_services()) == {*PROCESSES, "migrate"}
    for service in app_services().values():
        assert service["build"] == {"context": "../..", "dockerfile": "deploy/Dockerfile"}
    kustomization = yaml_file(K8S / "kustomization.yaml")
    assert [i["name"] for i in kustomization["images"]] == ["xiaoer"]
    assert kustomization["images"][0]["newTag"] == version


def test_image_installs_like_make_install_and_runs_as_a_numeric_user():
    makefile, dockerfile = (ROOT / "Makefile").read_text(), DOCKERFILE.read_text()
    pip_pin = re.search(r'"(pip==[^"]+)"', makefile).group(1)
    assert f'"{pip_pin}"' in dockerfile
    assert "pip install -q -r requirements.lock" in dockerfile
    assert "--no-deps --no-build-isolation -e ." in dockerfile
    assert re.search(r"xiaoer train\b", dockerfile), "the model is trained when the image is built"
    assert "ARG PYTHON_IMAGE=python:3.10-slim" in dockerfile.splitlines()
    assert re.fullmatch(r"\d+:\d+", dockerfile_value("USER")), "numeric, so runAsNonRoot can check it"
    assert dockerfile_value("WORKDIR") == "/app"
    ignored = set(DOCKERIGNORE.read_text().split())
    assert {".git", ".venv", "var", "models", "results", "tests/artifacts", "deploy/compose/.env"} <= ignored


def test_image_environment_is_what_xiaoer_run_gives_every_child():
    """child_env's values that depend on no setting belong in the image."""
    from bot.cli import child_env
    from bot.settings import Settings

    def perturbed(settings: Settings) -> Settings:
        changes: Dict[str, Any] = {}
        for field in dataclasses.fields(settings):
            value = getattr(settings, field.name)
            if isinstance(value, bool):
                changes[field.name] = not value
            elif isinstance(value, (int, float)):
                changes[field.name] = value + 1
            elif isinstance(value, str):
                changes[field.name] = value + "x"
            elif isinstance(value, Path):
                changes[field.name] = value / "x"
            elif isinstance(value, tuple):
                changes[field.name] = value + ("x",)
            elif value is None:
                changes[field.name] = "postgresql://x/y"
        return dataclasses.replace(settings, **changes)

    with mock.patch.dict(os.environ, {}, clear=True):
        settings = Settings.from_env()
        one = child_env(settings, "redis://a:6379/0")
        two = child_env(perturbed(settings), "redis://:pw@e:6380/1")
    constant = {k: v for k, v in one.items() if two.get(k) == v and k not in ("CONSOLE_DEV", "PYTHONPATH")}
    image = dockerfile_env()
    assert {k: image.get(k) for k in constant} == constant
    assert image["PYTHONPATH"] == dockerfile_value("WORKDIR")
    assert "CONSOLE_DEV" not in image


# --- the environment ------------------------------------------------------------------------

def test_secrets_are_found_in_the_code():
    """Guards the derivation the secret checks rely on."""
    assert {"CONSOLE_SECRET", "SHOPPER_TOKEN_SECRET", "ORDER_API_TOKEN", "RASA_API_TOKEN"} <= secret_vars()


@pytest.mark.parametrize("platform", ["compose", "k8s"])
@pytest.mark.parametrize("process", PROCESSES)
def test_process_gets_what_its_code_needs(process, platform):
    env = deployed_env(platform, process)
    problems = requirement_problems(process, env)
    assert not problems, f"{platform} {process}:\n" + "\n".join(problems)


def test_one_off_jobs_use_the_servers_databases():
    problems = one_off_problems(compose_env("migrate"))
    problems += [p for job in k8s_objects("Job").values() for p in one_off_problems(k8s_env(job))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("platform", ["compose", "k8s"])
def test_processes_share_their_data_and_reach_each_other(platform):
    from bot.settings import RedisAddress
    from handoff.console.settings import ConsoleSettings
    from handoff.db import database_url

    env = {p: deployed_env(platform, p) for p in PROCESSES}
    # One chat log and one service record for the channels, the actions and the console.
    assert len({run_loader(database_url, env[p]) for p in ("rasa", "actions", "console")}) == 1
    # The console reviews the conversations Rasa stores.
    console = run_loader(ConsoleSettings.from_env, env["console"])
    assert console.tracker_db_url == env["rasa"]["TRACKER_DB_URL"]
    # One Redis, and Rasa's lock store is the same one.
    assert len({env[p]["REDIS_URL"] for p in ("rasa", "actions", "console")}) == 1
    rasa = env["rasa"]
    assert RedisAddress.parse(rasa["REDIS_URL"]) == RedisAddress(
        rasa["REDIS_HOST"], int(rasa["REDIS_PORT"]), int(rasa["REDIS_DB"]), rasa["REDIS_PASSWORD"])
    # Rasa reaches the action server, the bot and the console reach the order service.
    if platform == "compose":
        ports = {p: int(deployed_command(platform, p)[deployed_command(platform, p).index("--port") + 1])
                 for p in PROCESSES}
    else:
        ports = {name: s["spec"]["ports"][0]["port"] for name, s in k8s_objects("Service").items()}
    for process, variable, target, path in (("rasa", "ACTION_ENDPOINT_URL", "actions", "/webhook"),
                                            ("actions", "ORDER_API_URL", "orders", ""),
                                            ("console", "ORDER_API_URL", "orders", "")):
        url = urlsplit(env[process][variable])
        assert (url.hostname, url.port, url.path) == (target, ports[target], path), f"{process} {variable}"
    # The order service accepts the token its clients send.
    assert len({env[p]["ORDER_API_TOKEN"] for p in ("actions", "console", "orders")}) == 1


# --- secrets --------------------------------------------------------------------------------

def test_compose_secrets_come_from_the_environment_or_fail_loudly():
    secrets = secret_vars() | COMPOSE_DATA_SECRETS
    variables = compose_variables(yaml_file(COMPOSE_FILE))
    for name in secrets:
        assert variables.get(name) == {":?"}, f"{name}: every use must be ${{{name}:?message}}"
    raw = yaml_file(COMPOSE_FILE)
    for service, spec in raw["services"].items():
        for name, value in (spec.get("environment") or {}).items():
            if name in secrets:
                assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", str(value)), f"{service} {name}"
    example = env_file(ENV_EXAMPLE)
    for name in secrets:
        assert example.get(name) == "", f".env.example: {name} must be listed, empty"
    # Every other variable compose reads is documented there with its default.
    assert set(variables) <= set(example), f"not in .env.example: {sorted(set(variables) - set(example))}"


def test_k8s_secrets_come_from_a_secret_and_are_documented():
    secrets = secret_vars() | K8S_DATA_SECRETS
    keys = set()
    for config_map in k8s_objects("ConfigMap").values():
        assert not secrets & set(config_map["data"]), "secrets belong in the Secret"
        for value in config_map["data"].values():
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"credentials in the ConfigMap: {value}"
    for workload in [*k8s_objects("Deployment").values(), *k8s_objects("Job").values()]:
        for container in pod_spec(workload)["containers"]:
            for entry in container.get("env", []):
                if entry["name"] in secrets:
                    ref = entry.get("valueFrom", {}).get("secretKeyRef")
                    assert ref and ref["name"] == "xiaoer-secrets", f"{entry['name']} must come from the Secret"
                if "secretKeyRef" in entry.get("valueFrom", {}):
                    keys.add(entry["valueFrom"]["secretKeyRef"]["key"])
    documented = re.search(r"kubectl -n xiaoer create secret generic xiaoer-secrets(.*?)\n\s*```", DOCS.read_text(), re.S)
    assert documented, "docs/deployment.md shows the `kubectl create secret` command"
    assert keys == set(re.findall(r"--from-literal=([A-Z_]+)=", documented.group(1)))


def test_no_development_secret_is_committed():
    for path in [*DEPLOY.rglob("*"), DOCS]:
        if path.is_file() and path.suffix != ".json":
            text = path.read_text()
            for value in all_dev_values():
                assert value not in text, f"{path.relative_to(ROOT)} contains the development value {value!r}"


# --- nginx ----------------------------------------------------------------------------------

def compose_rendering() -> str:
    """The template as bench/nginx.py renders it, with the compose services and nginx's port."""
    def address(process: str) -> str:
        command = deployed_command("compose", process)
        return f"{process}:{command[command.index('--port') + 1]}"

    published = compose()["services"]["nginx"]["ports"]
    return nginx.render([address("rasa")], [address("console")], str(published[0]).rsplit(":", 1)[1])


def test_compose_nginx_conf_is_the_rendered_template():
    conf, rendered = NGINX_CONF.read_text(), compose_rendering()
    assert not re.search(r"\{\{\w+\}\}", rendered), "a placeholder was left"
    assert conf.endswith(rendered), "deploy/compose/nginx.conf differs from the rendered template"
    header = conf[: len(conf) - len(rendered)]
    assert all(not line.strip() or line.startswith("#") for line in header.splitlines()), \
        "only comments may precede the rendered template"
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in compose()["services"]["nginx"]["volumes"]


@pytest.mark.skipif(shutil.which("nginx") is None,
                    reason="nginx is not installed (Debian: apt-get install nginx); the syntax check needs it")
def test_nginx_accepts_the_compose_config(tmp_path):
    # The compose service names do not resolve here: the same file with local addresses.
    conf = NGINX_CONF.read_text()
    for process in ("rasa", "console"):
        conf = conf.replace(f"server {process}:", "server 127.0.0.1:")
    (tmp_path / "xiaoer.conf").write_text(conf)
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n    {temp}\n    include {tmp_path / 'xiaoer.conf'};\n}}\n")
    result = subprocess.run([shutil.which("nginx"), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def template_routes() -> Dict[str, dict]:
    """Each proxied location of the template: prefix → what serves it and how it sticks."""
    template = TEMPLATE.read_text()
    upstreams = {name: body for name, body in re.findall(r"^upstream (\w+) \{\n(.*?)^\}", template, re.M | re.S)}
    routes = {}
    for prefix, body in re.findall(r"^    location ([^=\s][^\s]*) \{\n(.*?)^    \}", template, re.M | re.S):
        upstream = re.search(r"proxy_pass http://(\w+);", body)
        if not upstream:
            continue
        members = upstreams[upstream.group(1)]
        hashed = re.search(r"hash \$(\S+)", members)
        timeout = re.search(r"proxy_read_timeout (\d+)([smh]);", body)
        seconds = int(timeout.group(1)) * {"s": 1, "m": 60, "h": 3600}[timeout.group(2)]
        routes[prefix.rstrip("/")] = {"process": "rasa" if "{{rasa_servers}}" in members else "console",
                                      "hash": hashed.group(1) if hashed else None, "timeout": seconds}
    return routes


def test_ingress_routes_and_sticks_like_the_template():
    body_size = re.search(r"client_max_body_size (\S+);", TEMPLATE.read_text()).group(1)
    services = k8s_objects("Service")
    deployments = k8s_objects("Deployment")
    routed: Dict[str, dict] = {}
    per_backend: Dict[Tuple[str, str], Set[Optional[str]]] = {}
    for name, ingress in k8s_objects("Ingress").items():
        notes = ingress["metadata"].get("annotations", {})
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert notes.get("nginx.ingress.kubernetes.io/proxy-body-size") == body_size, name
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]
                selector = services[service["name"]]["spec"]["selector"]
                process = [d for d, spec in deployments.items()
                           if selector.items() <= spec["spec"]["template"]["metadata"]["labels"].items()][0]
                routed[path["path"]] = {"process": process, "notes": notes}
                per_backend.setdefault((service["name"], service["port"]["name"]), set()).add(
                    notes.get("nginx.ingress.kubernetes.io/upstream-hash-by"))
    routes = template_routes()
    assert set(routed) == set(routes), "the Ingress routes exactly the template's locations"
    hash_keys = {"xiaoer_affinity": "$arg_affinity", "cookie_xiaoer_console": "$cookie_xiaoer_console"}
    for prefix, route in routes.items():
        notes = routed[prefix]["notes"]
        assert routed[prefix]["process"] == route["process"], prefix
        assert notes.get("nginx.ingress.kubernetes.io/proxy-read-timeout") == str(route["timeout"]), prefix
        hash_by = notes.get("nginx.ingress.kubernetes.io/upstream-hash-by")
        if route["hash"] is None:
            assert hash_by is None, f"{prefix}: the template spreads it over every replica"
        else:
            assert hash_keys[route["hash"]] in (hash_by or ""), f"{prefix}: sticky on {route['hash']}"
    # ingress-nginx keeps one balancing setting per Service port: sticky and spread routes
    # must not share one.
    for backend, settings in per_backend.items():
        assert len(settings) == 1, f"{backend}: conflicting upstream-hash-by {settings}"

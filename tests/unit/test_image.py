"""The image installs from a pinned, hashed lock that covers pyproject's runtime dependencies,
has a HEALTHCHECK, and compose gives every process time to stop cleanly."""

import importlib.util
import re
import tomllib
from pathlib import Path

import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "infra" / "requirements.lock"
DOCKERFILE = ROOT / "infra" / "Dockerfile"


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from the lock's `name==version \\ --hash=…` entries."""
    entries, name = {}, None
    for raw in LOCK.read_text().splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line:
            continue
        if match := re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)(\s*;.*)?", line):
            name = canonicalize_name(match[1])
            entries[name] = (match[2], [])
        elif line.startswith("--hash=sha256:") and name:
            entries[name][1].append(line.removeprefix("--hash=sha256:"))
        else:
            raise AssertionError(f"unexpected line in the lock: {raw!r}")
    return entries


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def test_every_lock_entry_is_pinned_and_hashed():
    entries = locked()
    assert entries
    for name, (version, hashes) in entries.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), (name, version)
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_lock_covers_pyprojects_runtime_dependencies_within_their_ranges():
    entries = locked()
    environment = default_environment()
    for requirement in runtime_requirements():
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{requirement} is not in {LOCK.name}: regenerate it"
        assert requirement.specifier.contains(entries[name][0], prereleases=True), (
            f"{LOCK.name} pins {name}=={entries[name][0]}, outside {requirement}"
        )
        for extra in requirement.extras:  # psycopg[binary] brings psycopg-binary
            assert canonicalize_name(f"{requirement.name}-{extra}") in entries, requirement
    # The build backend too, so the image installs Warden itself with --no-index.
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for spec in backend:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in entries and requirement.specifier.contains(entries[name][0]), spec


def test_the_image_installs_only_from_the_lock_and_has_a_healthcheck():
    lines = " ".join(DOCKERFILE.read_text().replace("\\\n", " ").splitlines())
    installs = re.findall(r"pip install[^&]*?(?=RUN|COPY|USER|HEALTHCHECK|&&|$)", lines)
    assert installs, "the Dockerfile installs nothing"
    for command in installs:
        hashed = "--require-hashes" in command and "-r infra/requirements.lock" in command
        offline = "--no-index" in command and "--no-deps" in command
        assert hashed or offline, f"an install not from the lock: {command}"
    assert re.search(r"HEALTHCHECK .*CMD .*infra/healthcheck\.py", lines)


def load_healthcheck():
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "infra/healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_healthcheck_probes_the_web_or_the_workers_health_port():
    target = load_healthcheck().target
    assert target({"WARDEN_BIND": "0.0.0.0:8002"}) == "http://127.0.0.1:8002/healthz"
    worker = {"WARDEN_NOTIFY_WORKER_HEALTH_PORT": "9104"}
    assert target(worker) == "http://127.0.0.1:9104/healthz"
    assert target({"WARDEN_HEALTHCHECK_URL": "http://127.0.0.1:1/x", **worker}).endswith("/x")
    assert target({"WARDEN_NOTIFY_WORKER_HEALTH_PORT": "0"}) is None


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", value)
    assert match, value
    return float(match[1]) * {"ms": 0.001, "s": 1, "m": 60}[match[2]]


def test_compose_gives_each_process_longer_to_stop_than_its_own_graceful_shutdown():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    gunicorn = (ROOT / "infra/gunicorn/gunicorn.conf.py").read_text()
    graceful = float(re.search(r"^graceful_timeout = (\d+)", gunicorn, re.M)[1])
    nats = (ROOT / "infra/nats/cluster.conf").read_text()
    lame_duck = seconds(re.search(r'^lame_duck_duration: "([^"]+)"', nats, re.M)[1])
    grace = re.search(r'^lame_duck_grace_period: "([^"]+)"', nats, re.M)
    lame_duck += seconds(grace[1]) if grace else 10  # nats-server's default grace
    for name, service in services.items():
        if name.startswith("nats-"):
            assert service["stop_signal"] == "SIGUSR2", name  # lame-duck mode
            assert seconds(service["stop_grace_period"]) > lame_duck, name
        elif name != "postgres":
            assert seconds(service["stop_grace_period"]) > graceful, name

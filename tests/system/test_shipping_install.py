"""A regular install, as an operator gets it: the Dockerfile's steps replayed without Docker.

The Dockerfile builds the wheel (`pip wheel --no-deps`) and installs it with its dependencies
into a fresh virtual environment. These tests replay those steps into a scratch root (every
absolute path of the image lives under it), then run `sco-bot ask` from an empty directory, and
the image's command and health check as a non-root user. Slow (about a minute, mostly pip):
marked `slow`; `bash .ci/run` runs them."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import pytest

from testkit.fakeslack import FakeSlack
from testkit.waiting import wait_until
from tests.conftest import BOT_TOKEN, PROJECT, SIGNING_SECRET, signed_headers, slash_body

TIMEOUT = 60.0
NOBODY = 65534
_ABSOLUTE = re.compile(r"(?<![\w.:/$}-])(/[A-Za-z0-9_.*-]+(?:/[A-Za-z0-9_.*-]+)*/?)")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_CREATES_USERS = ("useradd", "groupadd", "adduser")


@dataclass
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, args = pending.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), " ".join(args.split())))
            pending = ""
    return instructions


def env_pairs(args: str) -> dict[str, str]:
    """ENV's KEY=value pairs."""
    return dict(pair.split("=", 1) for pair in shlex.split(args))


def exec_form(args: str) -> list[str]:
    """A CMD or HEALTHCHECK's exec form (a JSON list), after any --options."""
    return [str(word) for word in json.loads(args[args.index("[") :])]


@dataclass
class Image:
    """The image's filesystem under `root`, its environment and its final settings."""

    root: Path
    base_env: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    users_created: list[str] = field(default_factory=list)
    exposed: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    stopsignal: str = "SIGTERM"

    def local(self, text: str) -> str:
        """`text` with every absolute image path moved under the scratch root."""
        return _ABSOLUTE.sub(lambda m: f"{self.root}{m.group(1)}", text)

    def expand(self, text: str) -> str:
        """$VARIABLES expanded as the image's shell would (image ENV, then the base)."""
        scope = {**self.base_env, **self.env}
        return _VARIABLE.sub(lambda m: scope.get(m.group(1), ""), text)

    def environment(self) -> dict[str, str]:
        """What a process in the image sees."""
        return {**self.base_env, **self.env}


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `relative` (a path in the build context) out."""
    parts = relative.split("/")
    for pattern in patterns:
        plain = pattern.removeprefix("**/")
        if fnmatch(relative, pattern) or any(fnmatch(part, plain) for part in parts):
            return True
    return False


def copy_context(destination: Path) -> None:
    """COPY . . : the build context minus what .dockerignore leaves out."""
    lines = (PROJECT / ".dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    for path in sorted(PROJECT.rglob("*")):
        relative = path.relative_to(PROJECT).as_posix()
        if path.is_file() and not dockerignored(relative, patterns):
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def replay(root: Path) -> Image:
    """Carry out the Dockerfile's instructions under `root`; users are only recorded."""
    tools = Path(sys.executable).parent  # this interpreter stands in for the base image's
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCO_", "PYTHON"))
    }
    base_env["PATH"] = f"{tools}:{os.environ['PATH']}"
    base_env.pop("VIRTUAL_ENV", None)
    image = Image(root, base_env)
    for step in parse_dockerfile((PROJECT / "Dockerfile").read_text()):
        _apply(image, step)
    return image


def _apply(image: Image, step: Instruction) -> None:
    keyword, args = step.keyword, step.args
    if keyword == "FROM":
        assert re.match(r"python:3\.1[1-9]-slim\b", args), f"not a slim Python base: {args}"
        image.env, image.workdir = {}, "/"
    elif keyword == "WORKDIR":
        image.workdir = args
        Path(image.local(args)).mkdir(parents=True, exist_ok=True)
    elif keyword == "ENV":
        for key, value in env_pairs(args).items():
            image.env[key] = image.expand(image.local(value))
    elif keyword == "COPY":
        _copy(image, args)
    elif keyword == "RUN":
        _run(image, args)
    elif keyword == "USER":
        image.user = args
    elif keyword == "EXPOSE":
        image.exposed += args.split()
    elif keyword == "HEALTHCHECK":
        image.healthcheck = exec_form(args)
    elif keyword == "CMD":
        image.cmd = exec_form(args)
    elif keyword == "STOPSIGNAL":
        image.stopsignal = args
    else:
        raise AssertionError(f"the replay does not know {keyword}: teach it, or keep it simple")


def _copy(image: Image, args: str) -> None:
    words = args.split()
    sources, destination = [w for w in words[:-1] if not w.startswith("--")], words[-1]
    if not destination.startswith("/"):
        destination = f"{image.workdir.rstrip('/')}/{destination}"
    target = Path(image.local(destination))
    if any(w.startswith("--from=") for w in words):
        for source in sources:
            if Path(image.local(source)) != target:
                shutil.copytree(image.local(source), target, dirs_exist_ok=True)
        return
    assert sources == ["."], f"COPY of the build context only: {args}"
    copy_context(target)


def _run(image: Image, args: str) -> None:
    for command in args.split("&&"):
        if command.split()[0] in _CREATES_USERS:
            image.users_created.append(command.split()[-1])
            continue
        local = image.local(command)
        outside = [p for p in _ABSOLUTE.findall(local) if not p.startswith(str(image.root))]
        assert not outside, f"a path escaped the scratch root: {outside} in {local}"
        result = subprocess.run(
            ["bash", "-c", local],
            cwd=image.local(image.workdir),
            env=image.environment(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])


@pytest.fixture(scope="module")
def image() -> Iterator[Image]:
    # Not pytest's tmp_path: the non-root user must be able to walk into it.
    root = Path(tempfile.mkdtemp(prefix="sco-bot-image-"))
    root.chmod(0o755)
    try:
        yield replay(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def plain_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCO_", "XDG_"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONWARNINGS", None)
    env.update(HOME=str(home), SCO_CACHE_DIR="off")
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


# --- the wheel, installed ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_installed_wheel_answers_from_an_empty_directory_as_the_checkout_does(
    image: Image, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = plain_env(tmp_path / "home")
    installed = Path(image.env["VIRTUAL_ENV"]) / "bin" / "sco-bot"

    wheel = run([str(installed), "ask", "brief", "--at", "2021-08-01"], empty, env)
    checkout = run([sys.executable, "-m", "bot.cli", "ask", "brief", "--at", "2021-08-01"],
                   PROJECT, env)  # fmt: skip

    assert wheel.returncode == 0, wheel.stderr
    assert checkout.returncode == 0, checkout.stderr
    assert wheel.stdout == checkout.stdout
    assert wheel.stderr == ""
    assert list(empty.iterdir()) == []  # nothing written where it was started


@pytest.mark.slow
def test_the_installed_wheel_serves_an_operators_own_digest(image: Image, tmp_path: Path) -> None:
    own = tmp_path / "our-digest"
    shutil.copytree(PROJECT / "knowledge", own)
    env = {**plain_env(tmp_path / "home"), "SCO_KNOWLEDGE_DIR": str(own)}
    installed = Path(image.env["VIRTUAL_ENV"]) / "bin" / "sco-bot"

    wheel = run([str(installed), "ask", "sources", "--format", "blocks"], tmp_path, env)
    checkout = run([sys.executable, "-m", "bot.cli", "ask", "sources", "--format", "blocks"],
                   PROJECT, env)  # fmt: skip
    check = run([str(installed), "knowledge", "check"], tmp_path, env)

    assert wheel.returncode == 0, wheel.stderr
    assert wheel.stdout == checkout.stdout
    assert check.returncode == 0, check.stderr
    assert str(own) in check.stdout


@pytest.mark.slow
def test_the_wheel_carries_every_template_and_the_shipped_digest(image: Image) -> None:
    [site] = Path(image.env["VIRTUAL_ENV"]).glob("lib/python3*/site-packages")
    for name in ("templates", "knowledge"):
        shipped = {p.relative_to(PROJECT / name) for p in (PROJECT / name).rglob("*")}
        installed = {p.relative_to(site / "bot" / "data" / name)
                     for p in (site / "bot" / "data" / name).rglob("*")}  # fmt: skip
        assert installed == shipped, name


@pytest.mark.slow
def test_the_wheel_ships_the_product_and_no_test_support(image: Image) -> None:
    [site] = Path(image.env["VIRTUAL_ENV"]).glob("lib/python3*/site-packages")
    [dist] = importlib.metadata.distributions(name="sco-bot", path=[str(site)])
    modules = [file for file in dist.files or () if file.suffix == ".py"]
    assert {file.parts[0] for file in modules} == {"bot"}
    # The fake Slack, the request signer, the tests and the benchmarks stay in the checkout.
    assert not [file for file in modules if file.parts[:2] == ("bot", "testing")]
    assert not [name for name in ("testkit", "tests", "bench") if (site / name).exists()]


@pytest.mark.slow
def test_the_installed_version_is_the_projects(image: Image, tmp_path: Path) -> None:
    installed = Path(image.env["VIRTUAL_ENV"]) / "bin" / "sco-bot"
    result = run([str(installed), "--version"], tmp_path, plain_env(tmp_path))

    project = (PROJECT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', project, re.M)
    assert version is not None
    assert result.returncode == 0
    assert result.stdout.strip() == f"sco-bot {version.group(1)}"


# --- the container's command and health check ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_image_user(image: Image) -> list[str]:
    """A prefix running a command as a non-root user, when the tests run as root."""
    assert image.user not in ("root", "0"), "the image must not run as root"
    assert image.user in image.users_created
    if os.geteuid() != 0:
        return []  # already not root
    home = Path(image.local(image.workdir))
    for path in [home, *home.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.mark.slow
def test_the_images_command_serves_slack_and_passes_its_health_check(
    image: Image, fake_slack: FakeSlack
) -> None:
    [exposed] = image.exposed
    port = str(free_port())
    cmd = [port if word == exposed else word for word in image.cmd]
    check = [image.local(w).replace(f":{exposed}/", f":{port}/") for w in image.healthcheck]
    env = {
        **image.environment(),
        "HOME": image.local(image.workdir),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "SCO_CLOCK": "2021-07-29T09:00",
    }
    prefix = as_image_user(image)
    log = Path(image.local(image.workdir)) / "serve.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(prefix + cmd, cwd=image.local(image.workdir), env=env,
                                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)  # fmt: skip
    try:
        healthy = wait_until(lambda: run(prefix + check, Path("/"), env).returncode == 0, TIMEOUT)
        assert healthy, log.read_text()

        body = slash_body("brief", fake_slack.response_url())
        url = f"http://127.0.0.1:{port}/slack/events"
        request = urllib.request.Request(url, data=body.encode(), headers=signed_headers(body))
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            assert response.status == 200
            assert json.loads(response.read())["blocks"]

        proc.send_signal(getattr(signal, image.stopsignal))
        assert proc.wait(timeout=10) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = log.read_text().splitlines()
    ledger = Path(image.env["SCO_STATE_DIR"]) / "ledger.sqlite3"
    logged = [json.loads(line) for line in lines]  # every line JSON, start-up included
    assert f"sco-bot: reminders ledger at {ledger}" in [entry["event"] for entry in logged]
    assert ledger.is_file()
    assert any(entry.get("command") == "/sco" for entry in logged), lines
    assert not any(BOT_TOKEN in line or SIGNING_SECRET in line for line in lines)


@pytest.mark.slow
def test_the_installed_wheel_installs_in_a_workspace_through_oauth(
    image: Image, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """OAuth mode needs what the wheel declares (greenlet for slack-sdk's SQLAlchemy stores,
    Alembic and its migrations): the install flow and an answer, from a fresh environment."""
    port = str(free_port())
    installed = Path(image.env["VIRTUAL_ENV"]) / "bin" / "sco-bot"
    state = tmp_path / "state"
    env = {
        **plain_env(tmp_path / "home"),
        "SLACK_CLIENT_ID": "1111111111.2222222222",
        "SLACK_CLIENT_SECRET": "client-secret-0123456789",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "SCO_STATE_DIR": str(state),
        "SCO_LOG_FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen([str(installed), "serve", "--host", "127.0.0.1", "--port", port],
                                cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                                stdout=stderr, stderr=stderr)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: "serving Slack requests" in log.read_text(), TIMEOUT), (
            log.read_text()
        )
        with urllib.request.urlopen(base + "/slack/install", timeout=TIMEOUT) as page:
            cookie = page.headers["Set-Cookie"].split(";")[0]
            html = page.read().decode()
        state_value = re.search(r"state=([0-9a-f-]+)", html)
        assert state_value is not None, html
        code = fake_slack.install("T42")
        back = f"{base}/slack/oauth_redirect?code={code}&state={state_value[1]}"
        done = urllib.request.Request(back, headers={"Cookie": cookie})
        with urllib.request.urlopen(done, timeout=TIMEOUT) as response:
            assert response.status == 200
        body = slash_body("help", fake_slack.response_url(), team_id="T42")
        answer = urllib.request.Request(
            base + "/slack/events", data=body.encode(), headers=signed_headers(body)
        )
        with urllib.request.urlopen(answer, timeout=TIMEOUT) as response:
            assert json.loads(response.read())["blocks"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, log.read_text()
    assert [c.method for c in fake_slack.calls_to("oauth.")] == ["oauth.v2.access"]
    assert all(json.loads(line) for line in log.read_text().splitlines())


# --- compose and the example environment ----------------------------------------------------------


def test_compose_runs_the_image_against_its_postgresql() -> None:
    import yaml

    from bot.settings import load_settings

    compose = yaml.safe_load((PROJECT / "compose.yaml").read_text())
    bot, db = compose["services"]["sco-bot"], compose["services"]["db"]
    instructions = parse_dockerfile((PROJECT / "Dockerfile").read_text())
    [exposed] = [i.args for i in instructions if i.keyword == "EXPOSE"]

    assert bot["build"] == "." and (PROJECT / "Dockerfile").is_file()
    assert (PROJECT / ".env.example").is_file() and bot["env_file"] == ".env"
    assert [p.split(":")[-1] for p in bot["ports"]] == [exposed]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and db["healthcheck"]
    url = bot["environment"]["SCO_DATABASE_URL"]
    pg = db["environment"]
    assert url == (f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@db:5432/"
                   f"{pg['POSTGRES_DB']}")  # fmt: skip
    settings = load_settings({**bot["environment"], "HOME": "/var/lib/sco-bot"})
    assert settings.database_url.startswith("postgresql+psycopg://")
    [state] = [v.split(":")[1] for v in bot["volumes"]]
    dockerfile_env = {
        k: v for i in instructions if i.keyword == "ENV" for k, v in env_pairs(i.args).items()
    }
    assert state == dockerfile_env["SCO_STATE_DIR"]


def test_the_example_environment_lists_every_setting_and_is_valid() -> None:
    from bot.settings import SETTINGS, load_settings

    lines = (PROJECT / ".env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))

    assert list(values) == [s.variable for s in SETTINGS]
    load_settings(values)  # the placeholders parse; empty values mean the defaults

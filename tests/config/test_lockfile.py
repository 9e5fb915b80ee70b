"""requirements.lock (the Docker image's hash-pinned install) matches pyproject.toml's pins."""

from __future__ import annotations

import re
import tomllib

from tests.procs import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line):
            pins[normalise(match[1])] = match[2]
    return pins


def test_every_runtime_pin_is_locked_at_the_same_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {normalise(m[1]): m[2] for dep in project["dependencies"] if (m := PIN.match(dep))}
    assert len(wanted) == len(project["dependencies"])  # every dependency is pinned exactly
    lock = locked()
    stale = {name: (version, lock.get(name)) for name, version in wanted.items()}
    assert {k: v for k, v in stale.items() if v[0] != v[1]} == {}, "run `make lock`"


def test_every_locked_package_carries_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert entries
    assert all("--hash=sha256:" in entry for entry in entries if PIN.match(entry))


def test_development_tools_stay_out_of_the_image() -> None:
    assert not {"pytest", "ruff", "mypy", "playwright", "torch"} & set(locked())

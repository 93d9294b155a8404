"""The README's two commands are a promise: CI must run what they run."""
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    """The README's first two ```bash blocks: setting up and running, then testing."""
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)[:2]


def ci_commands():
    return [shlex.split(line) for line in (ROOT / ".ci" / "run").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_readmes_installer_and_its_test_command():
    setup, test = readme_commands()
    installer = shlex.split(setup.split("&&")[0])  # e.g. python tools/install.py
    ci = ci_commands()
    assert any(command[:len(installer)] == installer for command in ci), installer
    assert shlex.split(test) in ci

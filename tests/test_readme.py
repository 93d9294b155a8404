"""The README's two commands are a promise; CI must run the one that tests."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_readme_states_the_setup_and_the_test_command():
    commands = readme_commands()
    assert commands[0].startswith("python tools/install.py && python -m nasedu ")
    assert commands[1] == "python -m pytest"


def test_ci_runs_the_readmes_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines
    assert any(line.startswith("python tools/install.py") for line in ci_lines)

"""Keep every notebook's Colab badge and install cell in line with pyproject.toml.

    python tools/sync_notebooks.py          # rewrite the two header cells where they differ
    python tools/sync_notebooks.py --check  # list stale notebooks, exit 1 if any

The repository URL lives in one place, ``[project.urls] Repository`` in pyproject.toml, so a
fork changes one line and runs this script. Each notebook starts with two cells this script
owns: a Markdown cell tagged ``colab-badge`` ("Open in Colab" for this very notebook) and a
code cell tagged ``colab-install`` that installs the package only on Colab.
"""
from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import nbformat

from nasedu.release import BADGE_TAG  # release.py skips the badge cell when it copies one

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "exercises", "solutions")
INSTALL_TAG = "colab-install"


def repository_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["urls"]["Repository"].rstrip("/")


def badge_source(url: str, relative: Path) -> str:
    github = url.removeprefix("https://github.com/")
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"(https://colab.research.google.com/github/{github}/blob/main/"
            f"{relative.as_posix()})")


def install_source(url: str) -> str:
    return ("# On Colab, install the course package and enable widgets; a no-op anywhere else.\n"
            "import sys\n"
            "\n"
            'if "google.colab" in sys.modules:\n'
            f'    %pip install --quiet "nasedu @ git+{url}"\n'
            "    from google.colab import output\n"
            "\n"
            "    output.enable_custom_widget_manager()")


def header_cells(url: str, relative: Path) -> list[nbformat.NotebookNode]:
    badge = nbformat.v4.new_markdown_cell(badge_source(url, relative))
    badge.metadata["tags"] = [BADGE_TAG]
    install = nbformat.v4.new_code_cell(install_source(url))
    install.metadata["tags"] = [INSTALL_TAG]
    return [badge, install]


def synced(notebook: nbformat.NotebookNode, url: str, relative: Path
           ) -> nbformat.NotebookNode:
    """The notebook with its two header cells (re)written and nothing else changed."""
    body = [cell for cell in notebook.cells
            if not {BADGE_TAG, INSTALL_TAG} & set(cell.metadata.get("tags", []))]
    headers = header_cells(url, relative)
    old = {tag: cell for cell in notebook.cells for tag in cell.metadata.get("tags", [])}
    for cell in headers:  # keep cell ids stable so a re-sync is a no-op
        tag = cell.metadata["tags"][0]
        if tag in old and "id" in old[tag]:
            cell["id"] = old[tag]["id"]
    notebook.cells = headers + body
    return notebook


def notebooks() -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (ROOT / folder).glob("*.ipynb"))


def stale(path: Path, url: str) -> bool:
    current = nbformat.read(path, as_version=4)
    expected = synced(nbformat.read(path, as_version=4), url, path.relative_to(ROOT))
    return nbformat.writes(current) != nbformat.writes(expected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list stale notebooks")
    args = parser.parse_args()
    url = repository_url()
    outdated = [path for path in notebooks() if stale(path, url)]
    for path in outdated:
        if args.check:
            print(f"stale header cells: {path.relative_to(ROOT)}")
        else:
            notebook = synced(nbformat.read(path, as_version=4), url, path.relative_to(ROOT))
            nbformat.write(notebook, path)
            print(f"synced {path.relative_to(ROOT)}")
    return 1 if args.check and outdated else 0


if __name__ == "__main__":
    sys.exit(main())

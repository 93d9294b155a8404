"""The lessons in a real JupyterLab, in a real browser (opt-in: ``pytest --browser``).

nbval proves that the notebooks execute; this proves that a student sees working widgets.
Each lesson runs top to bottom in JupyterLab, in Debian's Chromium driven by Playwright for
Python, and the rendered page must show no error, every view (``nasedu.widgets.View``) with
its controls and picture, and a new picture after its first control changes. A screenshot of
each checked view is saved to ``browser-artifacts/`` beside the server's log.

The server is the test's own: a free port on localhost, a random token, a copy of the
lessons in a temporary folder (so nothing the browser saves lands in the repository), and it
is shut down, kernels included, however the test ends.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "browser-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
HOW_TO_INSTALL = ("install Debian's Chromium with `apt-get install chromium` (it must be at "
                  "/usr/bin/chromium) and Playwright for Python with `pip install playwright` "
                  "(or `pip install -e \".[browser]\"`); `playwright install` is not needed")
# As root, in a container, on a machine whose network is closed.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

SERVER_START_S = 120
RUN_ALL_S = 360      # a lesson takes 30-45 s on a 2-core CPU; a busy machine, several times that
REDRAW_S = 90

# A View is a VBox whose last child is the Output its callback draws into.
VIEW = ".widget-vbox:has(> .widget-output)"
CONTROLS = ":scope > .widget-slider, :scope > .widget-dropdown"
RUN_ALL = """() => {
    window.nasedu_run_all = null;
    window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        ok => { window.nasedu_run_all = {ok: ok !== false}; },
        error => { window.nasedu_run_all = {ok: false, error: String(error)}; });
}"""
# The notebook at ``path`` is the current one, and its kernel is idle.
KERNEL_IDLE = """path => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.context && panel.context.path === path
        && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}"""
# Error outputs as the notebook model holds them: the ename and evalue of each.
MODEL_ERRORS = """() => {
    const errors = [];
    for (const cell of window.jupyterapp.shell.currentWidget.content.widgets) {
        if (cell.model.type !== 'code') continue;
        for (const output of cell.model.outputs.toJSON()) {
            if (output.output_type === 'error') errors.push(`${output.ename}: ${output.evalue}`);
        }
    }
    return errors;
}"""

# A callback that raises on a change shows in no cell: ipykernel prints its traceback to
# stderr on iopub, under the comm message. Collect what the kernel reports from now on.
LISTEN_TO_KERNEL = """() => {
    window.nasedu_kernel_errors = [];
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    kernel.iopubMessage.connect((_, message) => {
        const content = message.content;
        if (message.header.msg_type === 'error') {
            window.nasedu_kernel_errors.push(`${content.ename}: ${content.evalue}`);
        } else if (message.header.msg_type === 'stream' && content.name === 'stderr'
                   && content.text.includes('Traceback')) {
            window.nasedu_kernel_errors.push(content.text);
        }
    });
}"""
KERNEL_ERRORS = "() => window.nasedu_kernel_errors"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A running JupyterLab server: its address, token and process."""

    def __init__(self, port, token, process, log):
        self.base = f"http://127.0.0.1:{port}/"
        self.token = token
        self.process = process
        self.log = log

    def url(self, path):
        return f"{self.base}{path}?token={self.token}"

    def request(self, path, method="GET"):
        request = urllib.request.Request(self.base + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.process.returncode}; see {self.log}")
            try:
                if self.request("api/status") == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s; see {self.log}")

    def stop(self):
        """Ask the server to shut down (kernels too), then end its process group."""
        if self.process.poll() is None:
            try:
                self.request("api/shutdown", method="POST")
                self.process.wait(timeout=30)
            except (urllib.error.URLError, ConnectionError, TimeoutError,
                    subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab")
    root = folder / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "jupyter-lab.log"
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.token={token}",
               f"--ServerApp.root_dir={root}", "--allow-root",
               "--LabApp.expose_app_in_browser=True",
               f"--LabApp.workspaces_dir={folder / 'workspaces'}",
               f"--LabApp.user_settings_dir={folder / 'settings'}"]
    # No "Jupyter news?" notification over the screenshots.
    news = folder / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    environment = {**os.environ, "JUPYTER_RUNTIME_DIR": str(folder / "runtime")}
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                   env=environment, start_new_session=True)
    server = Lab(port, token, process, log)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def sync_playwright():
    """Playwright's entry point, or a failure that says how to install what is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"--browser was given but there is no Chromium at {CHROMIUM}: "
                    f"{HOW_TO_INSTALL}")
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        pytest.fail(f"--browser was given but Playwright for Python is not importable: "
                    f"{HOW_TO_INSTALL}")
    return start


def view_count(lesson):
    """How many views the lesson builds: its code cells that call ``View(``."""
    cells = json.loads(lesson.read_text())["cells"]
    return sum("View(" in "".join(cell["source"]) for cell in cells
               if cell["cell_type"] == "code")


def run_all_cells(page, path):
    page.wait_for_function(KERNEL_IDLE, arg=path, timeout=SERVER_START_S * 1000)
    page.evaluate(RUN_ALL)
    page.wait_for_function("() => window.nasedu_run_all !== null", timeout=RUN_ALL_S * 1000)
    page.wait_for_function(KERNEL_IDLE, arg=path, timeout=RUN_ALL_S * 1000)
    return page.evaluate("() => window.nasedu_run_all")


def shown_errors(page):
    """Errors the page shows: error outputs, tracebacks on stderr, widgets that failed."""
    errors = page.evaluate(MODEL_ERRORS)
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    errors += [text for text in stderr.all_inner_texts() if "Traceback" in text]
    errors += [text for text in page.locator(".jp-OutputArea-output").all_inner_texts()
               if "Error displaying widget" in text]
    return errors


def picture(view):
    """What a view's output shows now: its image's source, else its text."""
    image = view.locator(".widget-output img")
    if image.count():
        return image.first.get_attribute("src")
    return view.locator(".widget-output").inner_text()


def change(page, control):
    """Move a slider one step to the right, or pick a dropdown's next option; say what."""
    classes = control.get_attribute("class")
    if "widget-slider" in classes:
        control.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        return "pressed ArrowRight on its slider"
    select = control.locator("select")
    index = select.evaluate("select => (select.selectedIndex + 1) % select.options.length")
    select.select_option(index=index)
    return f"picked option {index} of its dropdown"


def check_view(page, view, screenshot):
    view.scroll_into_view_if_needed()
    assert view.is_visible()
    controls = view.locator(CONTROLS)
    assert controls.count() >= 1, "a view shows no slider or dropdown"
    for index in range(controls.count()):
        assert controls.nth(index).is_visible()
    assert view.locator(".widget-output").is_visible()
    before = picture(view)
    assert before, "a view's output shows nothing"
    action = change(page, controls.first)
    deadline = time.monotonic() + REDRAW_S
    while picture(view) == before:
        errors = page.evaluate(KERNEL_ERRORS)
        if errors or time.monotonic() > deadline:
            view.screenshot(path=screenshot)
            pytest.fail(f"the output did not change after the test {action} (waited up to "
                        f"{REDRAW_S} s); screenshot: {screenshot}; the kernel reported: "
                        f"{errors}; the page shows: {shown_errors(page)}")
        page.wait_for_timeout(250)
    view.screenshot(path=screenshot)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_lesson_runs_and_its_widgets_respond_in_jupyterlab(lab, lesson):
    start = sync_playwright()
    expected = view_count(lesson)
    assert expected >= 1, f"{lesson.name} builds no View"
    with start() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            # A workspace of its own, so that JupyterLab restores no other lesson beside it.
            path = f"notebooks/{lesson.name}"
            page.goto(lab.url(f"lab/workspaces/{lesson.stem}/tree/{path}"))
            finished = run_all_cells(page, path)
            errors = shown_errors(page)
            assert not errors, f"{lesson.name} shows errors: {errors}"
            assert finished["ok"], f"running all cells of {lesson.name} failed: {finished}"
            page.evaluate(LISTEN_TO_KERNEL)
            views = page.locator(VIEW)
            views.nth(expected - 1).wait_for(state="attached", timeout=REDRAW_S * 1000)
            assert views.count() == expected
            for index in range(expected):
                check_view(page, views.nth(index),
                           ARTIFACTS / f"{lesson.stem}-view{index + 1}.png")
            assert not page.evaluate(KERNEL_ERRORS)
        finally:
            browser.close()

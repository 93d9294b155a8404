import pytest

from nasedu.data import load_dataset


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true", default=False,
                     help="also run the browser tests (tests/test_browser.py): the lessons in "
                          "a real JupyterLab, driven in Chromium by Playwright")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs --browser, Chromium and Playwright")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--browser"):
        return
    skip = pytest.mark.skip(reason="a browser test: pass --browser to run it")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def digits():
    """The embedded default dataset, split with seed 0, on CPU."""
    return load_dataset("digits", seed=0, device="cpu")

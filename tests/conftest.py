import pytest

from nasedu.data import load_dataset


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true", default=False,
                     help="also run the browser tests (tests/test_browser.py): the lessons in "
                          "a real JupyterLab, driven in Chromium by Playwright")


# Whole test modules that train, compare or grade for many seconds: left out of the fast loop
# (pytest -m "not slow"), run by the README's test command.
SLOW_MODULES = {"test_bench_ray", "test_compare", "test_grade", "test_grade_hostile",
                "test_shipped_tables"}


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs --browser, Chromium and Playwright")
    config.addinivalue_line("markers", "slow: trains, compares, grades or runs a notebook for "
                                       "seconds; left out by pytest -m 'not slow'")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb" or item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
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

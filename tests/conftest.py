import pytest

from nasedu.data import load_dataset


@pytest.fixture(scope="session")
def digits():
    """The embedded default dataset, split with seed 0, on CPU."""
    return load_dataset("digits", seed=0, device="cpu")

import pytest
import torch

from nasedu.devices import available_devices, resolve_device


def test_auto_picks_the_best_available_device():
    assert resolve_device("auto").type == available_devices()[0]
    assert available_devices()[-1] == "cpu"


def test_cpu_is_always_available():
    assert resolve_device("CPU") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("device", ["gpu0", "tpu", ""])
def test_unknown_device_names_the_choices(device):
    with pytest.raises(ValueError, match="device .*choose from .*'cpu'"):
        resolve_device(device)


def test_non_string_device_is_rejected():
    with pytest.raises(ValueError, match="device must be a string"):
        resolve_device(3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_cpu_machine_is_a_clear_error():
    with pytest.raises(ValueError, match="'cuda:0' is not available on this machine"):
        resolve_device("cuda:0")

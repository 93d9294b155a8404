import subprocess
import sys

import pytest

from nasedu.__main__ import main


def run_cli(*args):
    """Run ``python -m nasedu`` in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "nasedu", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_explains_each_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("space", "train"):
        assert command in result.stdout


def test_space_lists_and_counts(capsys):
    assert main(["space", "convpool"]) == 0
    out = capsys.readouterr().out
    assert "8 architectures" in out and "conv -> pool -> conv" in out
    main(["space"])
    assert "625 architectures" in capsys.readouterr().out


def test_train_prints_a_learning_curve_and_cost(capsys):
    assert main(["train", "conv -> pool -> conv", "--epochs", "2", "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("architecture conv -> pool -> conv on digits")
    assert [line.split()[0] for line in lines[2:4]] == ["1", "2"]
    assert lines[-1].startswith("cost:") and "epoch-equivalents" in lines[-1]


@pytest.mark.parametrize("args, message", [
    (["train", "conv -> conv7x7"], "unknown op 'conv7x7'"),
    (["train", ""], "cannot parse"),
    (["train", "conv", "--epochs", "-3"], "must be a positive integer"),
    (["train", "conv", "--dataset", "imagenet"], "invalid choice: 'imagenet'"),
    (["space", "huge"], "invalid choice: 'huge'"),
])
def test_bad_input_is_a_clean_error_with_exit_code_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unavailable_device_is_a_clean_error():
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so 'cuda' is available")
    result = run_cli("train", "conv", "--device", "cuda", "--epochs", "1")
    assert result.returncode == 2 and "'cuda' is not available" in result.stderr

import pytest
import torch

from nasedu.cost import Cost
from nasedu.train import Run, TrainConfig, accuracy, build_child, seeded, train

QUICK = TrainConfig(epochs=3)


def test_training_returns_a_curve_per_epoch_and_learns(digits):
    result = train("conv -> pool -> conv", digits, QUICK, seed=0)
    curve = result.curve
    assert curve.epochs == 3 == len(curve.train_loss) == len(curve.test_accuracy)
    assert curve.train_loss[-1] < curve.train_loss[0]
    assert max(curve.val_accuracy) > 0.5  # ten classes: chance is 0.1
    assert curve.val_accuracy[-1] == accuracy(result.model, digits.x_val, digits.y_val)


def test_same_seed_same_curve_bit_for_bit(digits):
    first = train("conv -> pool -> conv", digits, QUICK, seed=7).curve
    second = train("conv -> pool -> conv", digits, QUICK, seed=7).curve
    assert first == second


def test_other_seed_other_curve(digits):
    assert train("conv", digits, QUICK, seed=0).curve != train("conv", digits, QUICK, seed=1).curve


def test_training_leaves_the_global_generator_alone(digits):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train("conv", digits, TrainConfig(epochs=1), seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_cost_counts_training_recalibration_and_validation_passes(digits):
    result = train("pool", digits, QUICK, seed=0)
    n_train, n_val = len(digits.x_train), len(digits.x_val)
    # per epoch: one training pass, plus forward-only BN recalibration and validation (1/3 each)
    assert result.cost.epochs == pytest.approx(3 * (1 + (n_train + n_val) / n_train / 3))
    assert result.cost.seconds > 0


def test_callback_stops_training_and_cost_follows(digits):
    seen = []

    def stop_after_two(epoch, curve):
        seen.append((epoch, curve.epochs))
        return epoch == 2

    result = train("conv", digits, TrainConfig(epochs=5), seed=0, callback=stop_after_two)
    assert seen == [(1, 1), (2, 2)]
    assert result.curve.epochs == 2 and result.stopped_early
    assert result.cost.epochs == pytest.approx(
        train("conv", digits, TrainConfig(epochs=2), seed=0).cost.epochs)


def test_a_constant_learning_rate_makes_a_prefix_equal_a_shorter_run(digits):
    long = train("conv -> pool", digits, TrainConfig(epochs=3), seed=2).curve
    short = train("conv -> pool", digits, TrainConfig(epochs=2), seed=2).curve
    assert long.val_accuracy[:2] == short.val_accuracy


def test_training_continues_a_given_model(digits):
    model = build_child("conv", digits, QUICK, seed=0)
    before = [p.clone() for p in model.parameters()]
    result = train(model, digits, TrainConfig(epochs=1), seed=0)
    assert result.model is model
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_seeded_block_is_reproducible_and_restores_state():
    with seeded(1):
        a = torch.rand(2)
    with seeded(1):
        b = torch.rand(2)
    assert torch.equal(a, b)
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    with seeded(1):
        torch.rand(2)
    assert torch.equal(torch.rand(2), expected)


@pytest.mark.parametrize("field, value", [("epochs", -1), ("epochs", 0), ("batch_size", 0),
                                          ("learning_rate", -0.1), ("channels", 2.5)])
def test_bad_protocol_values_are_named(field, value):
    with pytest.raises(ValueError, match=f"{field}={value!r}"):
        TrainConfig(**{field: value})


def test_unavailable_device_is_a_clear_error(digits):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so 'cuda' is available")
    with pytest.raises(ValueError, match="not available"):
        train("conv", digits, QUICK, device="cuda")


def test_bad_thread_count_is_rejected(digits):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        train("conv", digits, QUICK, threads=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; none here")
def test_training_on_cuda_matches_the_cpu_closely(digits):
    cpu = train("conv -> pool -> conv", digits, QUICK, seed=0).curve
    gpu = train("conv -> pool -> conv", digits, QUICK, seed=0, device="cuda").curve
    assert gpu.train_loss == pytest.approx(cpu.train_loss, rel=0.05)


def test_cost_addition_and_fraction():
    total = Cost(1.0, 2.0) + Cost(3.0, 4.0)
    assert total == Cost(4.0, 6.0)
    assert total.fraction_of(Cost(8.0, 12.0)) == Cost(0.5, 0.5)


def test_a_paused_and_resumed_run_equals_an_uninterrupted_one(digits):
    paused = Run("conv -> pool", digits, TrainConfig(epochs=3), seed=1)
    paused.advance_to(1)
    assert paused.curve.epochs == 1
    paused.advance_to(3)
    whole = train("conv -> pool", digits, TrainConfig(epochs=3), seed=1)
    assert paused.curve == whole.curve
    assert paused.cost.epochs == pytest.approx(whole.cost.epochs)


def test_a_run_never_goes_past_its_protocol(digits):
    run = Run("pool", digits, TrainConfig(epochs=2), seed=0)
    run.advance_to(5)
    assert run.curve.epochs == 2
    with pytest.raises(ValueError, match="epoch=-1"):
        run.advance_to(-1)


def test_a_progress_bar_is_shown_only_when_asked(digits, capsys):
    train("pool", digits, TrainConfig(epochs=1), seed=0)
    assert capsys.readouterr().err == ""
    train("pool", digits, TrainConfig(epochs=1), seed=0, progress=True)
    shown = capsys.readouterr().err
    assert "pool" in shown and "epoch" in shown  # a bar named for the architecture (what it
    # shows of the count depends on how fast the epoch ran: tqdm redraws at most every 0.1 s)

import copy

import pytest
import torch

from nasedu.bench import Bench, load
from nasedu.latency import (best_under, measure_latency, pareto_front, space_latency,
                            table_latency, with_latency)
from nasedu.models import ChildNet
from nasedu.space import Architecture, SearchSpace

TWINS = SearchSpace(("conv3x3", "skip"), 2, name="twins")


@pytest.fixture(scope="module")
def twins_latency():
    return space_latency(TWINS, (1, 8, 8), batch_sizes=(1, 4), repeats=2)


def test_every_architecture_gets_a_positive_time_per_batch_size(twins_latency):
    assert set(twins_latency) == set(TWINS.enumerate())
    assert all(set(times) == {1, 4} and all(t > 0 for t in times.values())
               for times in twins_latency.values())


def test_twins_share_one_measurement(twins_latency):
    # conv -> skip and skip -> conv build one network: measured once
    assert twins_latency[Architecture(("conv3x3", "skip"))] == \
        twins_latency[Architecture(("skip", "conv3x3"))]


def test_measuring_leaves_the_model_and_the_thread_count_as_they_were():
    model = ChildNet(Architecture.parse("conv -> pool")).train()
    threads = torch.get_num_threads()
    assert measure_latency(model, (1, 8, 8), batch_size=2, repeats=2) > 0
    assert model.training
    space_latency([Architecture.parse("conv -> pool")], (1, 8, 8), repeats=1, threads=1)
    assert torch.get_num_threads() == threads


def test_a_table_with_latency_keeps_its_runs_and_loads_as_before():
    bench = load("convpool")
    latency = {arch: {1: 0.001 * (i + 1), 64: 0.01 * (i + 1)}
               for i, arch in enumerate(bench.archs)}
    original = copy.deepcopy(bench.table)
    table = with_latency(bench.table, latency)
    assert bench.table == original  # a copy, not an edit
    assert table_latency(table) == latency
    assert table["latency"]["threads"] == 1
    reloaded = Bench(table)
    assert list(reloaded.finals()) == list(bench.finals())


def test_an_old_table_says_it_has_no_latency_and_a_partial_one_is_refused():
    bench = load("convpool")
    with pytest.raises(ValueError, match="records no latency"):
        table_latency(bench.table)
    with pytest.raises(ValueError, match="missing for 1 architectures"):
        with_latency(bench.table, {arch: {1: 0.1} for arch in bench.archs[1:]})


def test_the_pareto_front_holds_exactly_the_undominated():
    archs = [Architecture(("conv3x3",) * (i + 1)) for i in range(5)]
    accuracy = dict(zip(archs, [0.90, 0.85, 0.95, 0.94, 0.97]))
    latency = dict(zip(archs, [1.0, 2.0, 3.0, 3.0, 5.0]))
    front = pareto_front(accuracy, latency)
    assert front == [archs[0], archs[2], archs[4]]  # fastest first
    for arch in archs:
        dominated = any(latency[o] <= latency[arch] and accuracy[o] >= accuracy[arch]
                        and (latency[o], accuracy[o]) != (latency[arch], accuracy[arch])
                        for o in archs)
        assert (arch in front) != dominated


def test_a_search_under_a_latency_budget_picks_the_best_score_that_fits():
    archs = [Architecture(("conv3x3",) * (i + 1)) for i in range(3)]
    scores = dict(zip(archs, [0.1, 0.9, 0.5]))
    latency = dict(zip(archs, [1.0, 4.0, 2.0]))
    assert best_under(scores, latency, budget=3.0) == archs[2]
    assert best_under(scores, latency, budget=4.0) == archs[1]
    assert best_under(scores, latency, budget=0.5) is None


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"repeats": 0}, {"warmup": -1}])
def test_bad_measurement_settings_are_refused(bad):
    model = ChildNet(Architecture.parse("conv"))
    settings = {"batch_size": 1, "repeats": 1, **bad}
    with pytest.raises(ValueError, match=next(iter(bad))):
        measure_latency(model, (1, 8, 8), **settings)


def test_bad_spaces_and_shapes_are_refused():
    with pytest.raises(ValueError, match="no architectures"):
        space_latency([], (1, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        space_latency(TWINS, (8, 8))

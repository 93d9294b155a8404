"""The grader's side of a verdict: values decoded strictly from the kernel's output and
compared with the solution's, with tolerances; for the capstone, reads counted where the
student's code cannot reach them and scores ranked against seeds it never read."""
import socket

import pytest

from nasedu.bench import load
from nasedu.estimates import Estimates
from nasedu.grading import capstone
from nasedu.grading.meter import Ledger, MeterServer
from nasedu.grading.values import NoValues, decode, difference, new_marker
from nasedu.grading.view import SeedView, SocketBackend


def test_values_are_read_only_after_the_marker_and_only_once():
    marker = new_marker()
    assert decode(f'noise\n{marker}[{{"a": 1}}]\n', marker) == [{"a": 1}]
    for stdout in ['[{"a": 1}]', f'{marker}[{{"a": 1}}]\n{marker}[{{"a": 2}}]']:
        with pytest.raises(NoValues, match="could not be read"):
            decode(stdout, marker)


@pytest.mark.parametrize("payload, why", [("[null]", "did not compute"),
                                          ("{'a': 1}", "not plain data"),
                                          ("[[1, 2]]", "did not compute")])
def test_anything_but_a_dict_of_plain_values_is_refused(payload, why):
    marker = new_marker()
    with pytest.raises(NoValues, match=why):
        decode(marker + payload, marker)


def test_a_new_marker_each_time():
    assert new_marker() != new_marker()


@pytest.mark.parametrize("got, expected, tolerance", [
    ({"x": [1, 2.0]}, {"x": [1, 2.0 + 1e-9]}, 0.0),
    ({"fit": 0.9505}, {"fit": 0.95}, 1e-3),
    ({"n": 3.0}, {"n": 3}, 0.0),
    ({"ok": True}, {"ok": True}, 0.0),
])
def test_equal_values_within_the_tolerance_agree(got, expected, tolerance):
    assert difference(got, expected, tolerance, "v") == ""


@pytest.mark.parametrize("got, expected, where", [
    ({"x": [1, 3]}, {"x": [1, 2]}, "v['x'][1] is 3, expected 2"),
    ({"x": [1]}, {"x": [1, 2]}, "v['x'] is [1], expected [1, 2]"),
    ({"ok": 1}, {"ok": True}, "v['ok'] is 1, expected true"),
    ({"n": True}, {"n": 1}, "v['n'] is true, expected 1"),
    ({"s": "1"}, {"s": 1}, "v['s'] is \"1\", expected 1"),
    ({}, {"a": 1}, "v is {}, expected {\"a\": 1}"),
])
def test_the_first_difference_is_named(got, expected, where):
    assert difference(got, expected, 0.0, "v") == where


# The capstone's side: a ledger the grader keeps, a view that asks it, a published scale.

def small_ledger(budget=4.0):
    return Ledger({"a": [0.1, 0.2, 0.3, 0.4], "b": [0.5, 0.6, 0.7, 0.8]},
                  {"a": 4.0, "b": 8.0}, budget)


def test_a_ledger_charges_each_epoch_once_as_replayed_training():
    ledger = small_ledger()
    assert ledger.read([["a", 2], ["b", 1]]) == [[0.1, 0.2], [0.5]]
    assert ledger.charged == pytest.approx(4.0 * 2 / 4 + 8.0 * 1 / 4)
    ledger.read([["a", 1], ["b", 1]])  # shorter or equal prefixes: already paid for
    assert ledger.charged == pytest.approx(4.0)


def test_a_read_past_the_budget_is_refused_and_charges_nothing():
    ledger = small_ledger(budget=4.0)
    ledger.read([["a", 2]])
    with pytest.raises(ValueError, match="over the budget of 4.0; 2.0 are spent"):
        ledger.read([["a", 3], ["b", 2]])
    assert ledger.charged == pytest.approx(2.0) and ledger.reached == {"a": 2}


@pytest.mark.parametrize("request_", [{"read": [["c", 1]]}, {"read": [["a", 0]]},
                                      {"read": [[["a"], 1]]}, {"read": [[{}, 1]]},
                                      {"read": [["a", 5]]}, {"read": [["a", True]]},
                                      {"read": "a"}, {"read": []}, {"seed": 1}, [1, 2]])
def test_a_malformed_request_gets_an_error_and_charges_nothing(request_):
    ledger = small_ledger()
    assert set(ledger.answer(request_)) == {"error"} and ledger.charged == 0


def test_the_view_reads_through_the_graders_socket_and_the_count_stays_there(tmp_path):
    bench = load(capstone.TABLE)
    ledger = capstone.ledger_for(bench)
    server = MeterServer(ledger, tmp_path)
    try:
        view = SeedView(SocketBackend(str(server.path)))
        archs = view.archs[:3]
        assert view.read(archs, 2) == {arch: bench.curve(arch, capstone.READABLE_SEED)
                                       .val_accuracy[:2] for arch in archs}
        assert view.parameters(archs[0]) == bench.parameters(archs[0])
        view.cost = 0.0  # the kernel's own count is for show
        assert ledger.charged == pytest.approx(sum(bench.training_cost(arch, 0).epochs * 2 / 12
                                                   for arch in archs))
        with pytest.raises(ValueError, match="over the budget"):
            view.read(view.archs, view.max_epochs)
        with socket.socket(socket.AF_UNIX) as raw:  # junk gets an answer, not a crash
            raw.connect(str(server.path))
            raw.sendall(b"{not json\n")
            assert b"error" in raw.makefile("rb").readline()
        assert view.advance(archs[0], 2) == bench.curve(archs[0], 0).val_accuracy[:2]
    finally:
        server.stop()


def test_the_scale_gives_a_point_a_step_and_then_rises_linearly():
    scale = capstone.Scale((1, 2), "parameter count", proxy_tau=0.6, sharing_tau=0.7,
                           ceiling_tau=0.9)
    assert scale.target_tau == pytest.approx(0.8)
    points = [scale.points(tau) for tau in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.95,
                                            float("nan"))]
    assert points == [1, 1, 2, 2, 4.5, 6, 6, 1]
    assert "tau > 0.600" in scale.text() and "tau > 0.800" in scale.text()


def test_the_capstone_verdict_ranks_scores_against_the_unread_seeds_only():
    bench = load(capstone.TABLE)
    ceiling = bench.noise_ceiling(capstone.truth_of(bench)).kendall_tau
    scale = capstone.Scale(capstone.truth_of(bench), "parameter count", proxy_tau=0.5,
                           sharing_tau=0.6, ceiling_tau=ceiling)
    judge = capstone.Capstone(bench, scale)
    ledger = capstone.ledger_for(bench)
    names = [arch.compact() for arch in bench.archs]
    seed_zero = dict(zip(names, bench.finals([capstone.READABLE_SEED]).tolist()))
    assert judge.verdict({"scores": seed_zero}, ledger) == (1.0, "")
    size = {name: float(bench.parameters(name)) for name in names}
    tau = bench.score(Estimates(dict(zip(bench.archs, size.values()))),
                      capstone.truth_of(bench)).kendall_tau
    share, reason = judge.verdict({"scores": size}, ledger)
    assert share == pytest.approx(scale.points(tau) / capstone.POINTS)
    assert f"Kendall tau {tau:.3f} on seeds [1, 2]" in reason
    for values, why in [({"scores": {**seed_zero, names[0]: True}}, "must be a number"),
                        ({"scores": dict(list(seed_zero.items())[1:])}, "1 are missing"),
                        ({"scores": {**seed_zero, "x": 1.0}}, "each of the 625"),
                        ({"scores": seed_zero, "cost": 0}, "must hand over"),
                        ({"scores": list(seed_zero.values())}, "must hand over")]:
        assert judge.verdict(values, ledger)[0] == 0 and why in judge.verdict(values, ledger)[1]

"""The grader's side of a verdict: values decoded strictly from the kernel's output and
compared with the solution's, with tolerances."""
import pytest

from nasedu.grading.values import NoValues, decode, difference, new_marker


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

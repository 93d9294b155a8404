import numpy as np
import pytest

from nasedu.space import ALIASES, OPS, SPACES, Architecture, SearchSpace, get_space


def test_lesson_notation_round_trips():
    arch = Architecture.parse("conv -> pool -> conv")
    assert arch.ops == ("conv3x3", "maxpool3x3", "conv3x3")
    assert arch.arrow() == "conv -> pool -> conv"
    assert Architecture.parse(arch.arrow()) == arch


def test_compact_notation_round_trips():
    arch = Architecture.parse("conv5x5-skip-avgpool3x3-conv3x3")
    assert arch.compact() == "conv5x5-skip-avgpool3x3-conv3x3"
    assert Architecture.parse(arch.compact()) == arch
    assert arch.arrow() == "conv5x5 -> skip -> avgpool3x3 -> conv"


def test_aliases_and_full_names_parse_to_the_same_architecture():
    assert Architecture.parse("Conv -> Pool") == Architecture.parse("conv3x3-maxpool3x3")
    assert set(ALIASES.values()) <= set(OPS)


def test_every_architecture_of_every_space_round_trips():
    for space in SPACES.values():
        for arch in space.enumerate():
            assert Architecture.parse(arch.arrow()) == arch
            assert Architecture.parse(arch.compact()) == arch


def test_architectures_are_hashable_and_immutable():
    a, b = Architecture.parse("conv -> pool"), Architecture.parse("conv3x3-maxpool3x3")
    assert len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.ops = ("skip",)


@pytest.mark.parametrize("text", ["", "   ", "conv -> -> pool", "conv--pool"])
def test_empty_text_or_op_is_rejected(text):
    with pytest.raises(ValueError, match="empty|cannot parse"):
        Architecture.parse(text)


def test_unknown_op_names_the_op_and_the_choices():
    with pytest.raises(ValueError, match=r"unknown op 'conv7x7'.*conv3x3"):
        Architecture.parse("conv -> conv7x7")


def test_named_spaces_have_the_documented_sizes():
    assert get_space("convpool").size == 8 == len(get_space("convpool").enumerate())
    assert get_space("five-op").size == 625 == len(set(get_space("five-op").enumerate()))
    assert Architecture.parse("conv -> pool -> conv") in get_space("convpool")


def test_enumerate_is_deterministic_and_first_layer_varies_slowest():
    space = get_space("convpool")
    archs = space.enumerate()
    assert archs == space.enumerate()
    assert [a.ops[0] for a in archs] == ["conv3x3"] * 4 + ["maxpool3x3"] * 4


def test_sample_is_seeded_distinct_and_inside_the_space():
    space = get_space("five-op")
    first = space.sample(20, seed=3)
    assert first == space.sample(20, seed=3)
    assert first != space.sample(20, seed=4)
    assert len(set(first)) == 20 and all(arch in space for arch in first)


@pytest.mark.parametrize("n", [-1, 9, 2.5])
def test_sample_rejects_impossible_counts(n):
    with pytest.raises(ValueError, match=r"n must be an integer in \[0, 8\]"):
        get_space("convpool").sample(n, seed=0)


def test_validate_names_wrong_layer_count_and_foreign_op():
    space = get_space("convpool")
    with pytest.raises(ValueError, match="has 2 layers.*has 3"):
        space.validate("conv -> pool")
    with pytest.raises(ValueError, match="'skip'.*not in space 'convpool'"):
        space.validate("conv -> skip -> pool")
    assert space.validate("conv -> pool -> conv") == Architecture.parse("conv -> pool -> conv")


@pytest.mark.parametrize("layers", [0, -2, 1.5, True])
def test_search_space_rejects_bad_layer_counts(layers):
    with pytest.raises(ValueError, match=r"num_layers must be an integer in \[1, 32\]"):
        SearchSpace(("conv3x3",), layers)


def test_search_space_rejects_unknown_and_repeated_ops():
    with pytest.raises(ValueError, match="unknown op 'sepconv'"):
        SearchSpace(("conv3x3", "sepconv"), 2)
    with pytest.raises(ValueError, match="distinct"):
        SearchSpace(("conv", "conv3x3"), 2)


def test_unknown_space_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown space 'big'.*convpool.*five-op"):
        get_space("big")


def test_sample_draws_what_indexing_the_enumeration_draws():
    # The reference: numpy's choice of indices into the listed space, as sample always drew.
    space = get_space("five-op")
    indices = np.random.default_rng(3).choice(space.size, size=20, replace=False)
    everything = space.enumerate()
    assert space.sample(20, seed=3) == [everything[i] for i in indices]


def test_architecture_at_decodes_every_index_of_the_enumeration():
    space = SearchSpace(("conv3x3", "skip", "avgpool3x3"), 4)
    assert [space.architecture_at(i) for i in range(space.size)] == space.enumerate()

import pytest
import torch

from nasedu.models import ChildNet, count_macs, count_parameters
from nasedu.space import Architecture


def test_child_net_maps_images_to_logits():
    net = ChildNet("conv -> pool -> conv", in_channels=3, num_classes=7, channels=4)
    assert net(torch.zeros(5, 3, 8, 8)).shape == (5, 7)
    assert net.arch == Architecture.parse("conv -> pool -> conv")


def test_parameter_count_follows_the_ops():
    # stem 1*16*9 + BN 32; conv3x3 16*16*9 + BN 32; head 16*10 + 10
    assert count_parameters(ChildNet("skip -> pool -> skip")) == 144 + 32 + 170
    assert count_parameters(ChildNet("conv -> pool -> skip")) == 144 + 32 + 170 + 2304 + 32


def test_macs_count_convolutions_and_the_head():
    # 8x8 output: stem 64*9*1*16, conv5x5 64*25*16*16, head 16*10
    net = ChildNet("conv5x5-skip")
    assert count_macs(net, (1, 8, 8)) == 64 * 9 * 16 + 64 * 25 * 256 + 160


def test_macs_follow_the_input_shape_and_a_weightless_module_has_none():
    # 32x32 output: stem 1024*9*3*16, two conv3x3 1024*9*16*16, head 16*10
    net = ChildNet("conv -> skip -> conv", in_channels=3)
    assert count_macs(net, (3, 32, 32)) == 1024 * 9 * 48 + 2 * 1024 * 9 * 256 + 160
    assert count_macs(torch.nn.MaxPool2d(3, stride=1, padding=1), (16, 8, 8)) == 0


def test_macs_leave_the_training_mode_as_it_was():
    net = ChildNet("conv")
    count_macs(net, (1, 8, 8))
    assert net.training


@pytest.mark.parametrize("field", ["in_channels", "num_classes", "channels"])
def test_bad_sizes_are_rejected(field):
    with pytest.raises(ValueError, match=rf"{field} must be an integer in \[1, \d+\]"):
        ChildNet("conv", **{field: 0})


def test_architectures_of_one_network_build_the_same_child_net():
    twins = [Architecture.parse(text) for text in
             ("conv -> skip -> pool -> conv5x5", "skip -> conv -> pool -> conv5x5",
              "conv -> pool -> conv5x5 -> skip")]
    assert len({arch.network() for arch in twins}) == 1
    images = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    outputs = []
    for arch in twins:
        torch.manual_seed(3)
        outputs.append(ChildNet(arch)(images))
    assert all(torch.equal(outputs[0], output) for output in outputs[1:])
    torch.manual_seed(3)
    other = ChildNet(Architecture.parse("conv -> pool -> skip -> conv"))  # conv3x3 last
    assert not torch.equal(other(images), outputs[0])

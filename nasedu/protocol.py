"""The protocol of a ground-truth table: everything a run's result depends on besides the
architecture and the seed. Live training that is compared with a table follows it in full,
thread count included: on CPU the same seed gives the same curve bit for bit only on the same
number of threads.

>>> Protocol().threads
1
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .data import TEST_FRACTION, VAL_FRACTION, load_dataset
from .train import TrainConfig


@dataclass(frozen=True)
class Protocol:
    """Everything a run's result depends on besides the architecture and the seed."""

    dataset: str = "digits"                       # a name from nasedu.data.DATASETS
    split_seed: int = 0                           # the train/val/test split, fixed for a table
    val_fraction: float = VAL_FRACTION            # share of the data held out for validation
    test_fraction: float = TEST_FRACTION          # share held out for test (digits only)
    train: TrainConfig = field(default_factory=TrainConfig)
    threads: int = 1                              # CPU threads per run: results depend on it
    final_epochs: int = 6                         # "final" = mean of the last this-many epochs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Protocol":
        return cls(**{**values, "train": TrainConfig(**values["train"])})


def protocol_data(protocol: Protocol, device: str = "cpu"):
    """The dataset, split as ``protocol`` says, on ``device``."""
    return load_dataset(protocol.dataset, seed=protocol.split_seed, device=device,
                        val_fraction=protocol.val_fraction, test_fraction=protocol.test_fraction)

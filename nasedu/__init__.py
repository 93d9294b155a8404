"""nasedu: how neural architecture search estimates candidates without training each one."""
from .cost import Cost
from .data import Dataset, load_dataset
from .devices import resolve_device
from .models import ChildNet
from .space import ALIASES, OPS, SPACES, Architecture, SearchSpace, get_space
from .train import LearningCurve, TrainConfig, TrainResult, train

__version__ = "0.1.0"

__all__ = ["ALIASES", "OPS", "SPACES", "Architecture", "ChildNet", "Cost", "Dataset",
           "LearningCurve", "SearchSpace", "TrainConfig", "TrainResult", "get_space",
           "load_dataset", "resolve_device", "train"]

"""SQL models: build the views in the `analytics` schema, snapshot prices, run the data tests.

The CLI (`runsteps models [--test]`), `runsteps nightly` and the demo call these three functions.
"""

from runsteps.models.data_tests import DataTestResult, run_data_tests
from runsteps.models.prices import PriceSnapshot, UnmatchedOverride, ensure_model_prices, refresh_model_prices
from runsteps.models.runner import BuildResult, ModelTiming, build_models

__all__ = [
    "BuildResult",
    "DataTestResult",
    "ModelTiming",
    "PriceSnapshot",
    "UnmatchedOverride",
    "build_models",
    "ensure_model_prices",
    "refresh_model_prices",
    "run_data_tests",
]

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Beam's local runner, named explicitly so that nothing is ever downloaded.
LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"


def make_test_pipeline():
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    return TestPipeline(runner=FnApiRunner(), options=PipelineOptions([]))


@pytest.fixture
def beam_pipeline():
    """A TestPipeline on the in-process FnApiRunner; use as ``with beam_pipeline as p:``."""
    return make_test_pipeline()

from __future__ import annotations

import pytest

from tests.cti.endpoint import serve_endpoint

endpoint = pytest.fixture(serve_endpoint)

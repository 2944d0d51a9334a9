"""The app of these tests runs in New York time with the lab's service-level thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.config import MetricsSettings, QueueMetricsSettings, Settings
from tests.conftest import TEST_SECRET


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    metrics = MetricsSettings(
        timezone="America/New_York",
        queues={
            "support": QueueMetricsSettings(service_level_seconds=20),
            "sales": QueueMetricsSettings(service_level_seconds=30),
        },
    )
    return Settings(database_url=database_url, data_dir=tmp_path / "var", secret_key=TEST_SECRET, metrics=metrics)

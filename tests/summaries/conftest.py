import json
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "bot" / "samples"


@pytest.fixture(scope="session")
def samples() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SAMPLES.glob("*.json"))}

"""Recordings fixtures: a customer with a contracted and an uncontracted device, and keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from ..conftest import Keys, make_device


@dataclass
class Pbx:
    keys: Keys
    device: str  # contracted M-V3 of tenant A
    device_key: str
    bare: str  # uncontracted S-V2 of tenant A
    bare_key: str
    device_b: str  # contracted device of tenant B
    device_b_key: str


@pytest.fixture
def pbx(client: TestClient, keys: Keys) -> Pbx:
    device, device_key = make_device(
        client, keys, keys.customer_a, "MOT/PBX M-V3", "A1", contract=True
    )
    bare, bare_key = make_device(
        client, keys, keys.customer_a, "MOT/PBX S-V2", "A2", contract=False
    )
    device_b, device_b_key = make_device(
        client, keys, keys.customer_b, "MOT/PBX M-V3", "B1", contract=True
    )
    return Pbx(keys, device, device_key, bare, bare_key, device_b, device_b_key)

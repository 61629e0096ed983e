"""The HTTP clients: the httpx transport is an optional extra, and says so when it is missing."""

from __future__ import annotations

import sys

import pytest

from afgap.errors import InputError
from afgap.providers.clients import make_client


@pytest.mark.parametrize("module", ["httpx", "httpx_aiohttp"])
def test_httpx_transport_without_its_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # an import of it now raises ImportError
    with pytest.raises(InputError) as raised:
        make_client("httpx", 1, 5.0, "http://127.0.0.1:1")
    assert str(raised.value) == "transport 'httpx' needs the httpx extra: pip install 'afgap[httpx]'"

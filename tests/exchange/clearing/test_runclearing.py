"""``runclearing --shard`` refuses, at start, a shard the shard map gives no markets."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shards", "args", "error"),
    [
        ("engine-0=BTCUSDT", ["--shard", "engine-1"], "assigns no markets to 'engine-1'"),
        ("", ["--shard", "engine-0"], "assigns no markets to 'engine-0'"),
        ("engine-0=BTCUSDT;engine-1=BTCUSDT", ["--shard", "engine-0"], "BTCUSDT is assigned to"),
        ("engine-0=BTCUSDT", ["--shard", "engine-0", "--markets", "ETHUSDT"], "not both"),
    ],
)
def test_a_shard_without_markets_is_refused(settings, btcusdt, shards, args, error):
    settings.ENGINE_SHARDS = shards
    with pytest.raises(CommandError, match=error):
        call_command("runclearing", *args)

from tests.api.compat.clients import ccxt_binance


def test_smoke(live):
    ex = ccxt_binance(live)
    markets = ex.load_markets()
    assert "BTC/USDT" in markets
    assert ex.fetch_time() > 0

"""``exchange/`` speaks the project's own names; Binance's dialect lives in ``api/compat/``
(issue 15 item 7, docs/adr/0054-market-data-snapshots-in-the-projects-names.md).

Every module of ``exchange/`` is parsed and three rules are held:

* no camelCase or one-letter key: dict literal keys (a domain error's ``fields={...}``
  too: they are the typed requests' attribute names, which each surface renders under
  its own parameter names), subscripts, ``.get`` / ``.pop`` / ``.setdefault`` names,
  ``dict(...)`` keywords and class-body annotations (``TypedDict`` fields) are
  snake_case words;
* no string constant is one of the camelCase names Binance's market-data shapes use
  (what ``api/compat``'s snapshot renderers answer), wherever it appears, nor holds a
  Binance parameter name (what ``api/compat``'s name mappings answer) as a word, but
  in a docstring: a field name built at run time (``_choice(..., "time_in_force")``)
  is a constant too;
* an error's text is in the project's words: no camelCase word and no Binance
  phrasing ("Parameter 'x' ...") in the arguments of a call to a ``...Error``.

``ALLOWED`` lists what is not Binance's, with the reason; an entry no longer used
fails too, so the list cannot outgrow the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from api.compat.binance import snapshots as spot
from api.compat.binance.names import PARAMETERS as SPOT_PARAMETERS
from api.compat.binance_futures import snapshots as futures
from api.compat.binance_futures.names import PARAMETERS as FUTURES_PARAMETERS
from exchange.futures.marks import MarkFigures

ROOT = Path(__file__).resolve().parents[2]
EXCHANGE = ROOT / "exchange"
CAMEL = re.compile(r"[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*")
CAMEL_WORD = re.compile(r"\b[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b")
BINANCE_PHRASES = ("Parameter '", "Mandatory parameter", "Illegal characters found")
ONE_LETTER = re.compile(r"[A-Za-z]")
LOOKUPS = {"get", "pop", "setdefault"}

# Ethereum's JSON-RPC and ABI names: another protocol, spoken where it is spoken.
OTHER_PROTOCOLS = ("wallets/chains/",)
ALLOWED: dict[str, set[str]] = {
    # The signed-request protocol's window parameter, read where the signature is checked
    # (every surface that signs, native REST too, sends it under this name).
    "accounts/signing.py": {"recvWindow"},
    # Compact encodings of the project's own Redis records.
    "dashboards/lag_history.py": {"t", "m"},
    "clearing/runner.py": {"d"},
    "marketdata/state_store.py": {"v"},
    "marketdata/futures_feed.py": {"v"},
}


def binance_names() -> set[str]:
    """The camelCase and one-letter names of Binance's REST shapes of the snapshots."""
    depth = {"last_update_id": 1, "time": 1, "bids": [], "asks": []}
    trade = {"id": 1, "price": "1", "qty": "1", "quote_qty": "1", "time": 1, "buyer_maker": True}
    figures = {ours: "0" for _, ours in spot.TICKER_FIELDS}
    mark = dict.fromkeys(MarkFigures.__required_keys__, "0")
    shapes = [
        spot.depth_json(depth),
        spot.trade_json(trade),
        spot.ticker_json(figures),
        spot.book_ticker_json("BTCUSDT", depth),
        futures.depth_json(depth),
        futures.trade_json(trade),
        futures.ticker_json(figures),
        futures.book_ticker_json("BTCUSDT", depth),
        futures.premium_index_json(mark),
    ]
    return {k for shape in shapes for k in shape if CAMEL.fullmatch(k) or ONE_LETTER.fullmatch(k)}


def binance_parameters() -> set[str]:
    """Binance's parameter names for the project's fields (the dialects' mappings)."""
    return {name for name in {*SPOT_PARAMETERS.values(), *FUTURES_PARAMETERS.values()} if CAMEL.fullmatch(name)}  # fmt: skip


def keys(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, name) of every name used as a key in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            yield from ((k.lineno, k.value) for k in node.keys if _text(k))
        elif isinstance(node, ast.Subscript) and _text(node.slice):
            yield node.lineno, node.slice.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in LOOKUPS and node.args and _text(node.args[0]):
                yield node.lineno, node.args[0].value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "dict":
                yield from ((node.lineno, k.arg) for k in node.keywords if k.arg)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    yield item.lineno, item.target.id


def error_texts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant in the arguments of a ``...Error(...)`` call
    (the parts of an f-string included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node).endswith("Error"):
            for arg in node.args:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        yield part.lineno, part.value


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants of ``tree``."""
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and _text(node.body[0].value)
    }


def constants(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant but the docstrings."""
    skipped = docstrings(tree)
    for node in ast.walk(tree):
        if _text(node) and id(node) not in skipped:
            yield node.lineno, node.value


def _text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def modules() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(EXCHANGE.rglob("*.py")):
        name = path.relative_to(EXCHANGE).as_posix()
        if "/migrations/" not in f"/{name}" and not name.startswith(OTHER_PROTOCOLS):
            yield name, ast.parse(path.read_text(), filename=str(path))


def test_binance_names_are_known():
    # the scan's vocabulary is the dialect's own (a renamed renderer would empty it)
    assert {"lastUpdateId", "isBuyerMaker", "quoteQty", "E", "T", "markPrice"} <= binance_names()


def test_binance_parameters_are_known():
    # the dialects' mappings hold the names the scan looks for
    assert {"timeInForce", "newClientOrderId", "stopPrice", "batchOrders"} <= binance_parameters()


def test_exchange_uses_no_camel_case_or_one_letter_key_and_no_binance_name():
    # (a one-letter constant is also a type variable's name: as a key, the first rule holds it)
    vocabulary = {name for name in binance_names() if CAMEL.fullmatch(name)}
    parameters = binance_parameters()
    found: list[str] = []
    used: set[tuple[str, str]] = set()
    for module, tree in modules():
        allowed = ALLOWED.get(module, set())
        named = {
            (line, name)
            for line, name in keys(tree)
            if CAMEL.fullmatch(name) or ONE_LETTER.fullmatch(name)
        }
        for line, text in constants(tree):
            if text in vocabulary:
                named.add((line, text))
            named |= {(line, word) for word in CAMEL_WORD.findall(text) if word in parameters}
        for line, text in error_texts(tree):
            named |= {(line, word) for word in CAMEL_WORD.findall(text)}
            named |= {(line, phrase) for phrase in BINANCE_PHRASES if phrase in text}
        for line, name in sorted(named):
            if name in allowed:
                used.add((module, name))
            else:
                found.append(f"exchange/{module}:{line}: {name!r}")
    assert found == []
    # and every allowance is still needed
    assert {(m, name) for m, names in ALLOWED.items() for name in names} == used

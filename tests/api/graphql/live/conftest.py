"""The live exchange of ``tests/api/compat`` (daphne, engine, clearing, market data) for
the GraphQL tests that need its processes.

Imported here, in a package's conftest, so that it is this package's and is stopped
after the package's last test: imported into a test module, a package-scoped fixture
has no package of its own and lives until the session ends (its processes then ran
beside the next live exchange's, on the same database and Redis).
"""

from __future__ import annotations

from tests.api.compat.conftest import _db as _db  # noqa: F401 - reads the live database
from tests.api.compat.conftest import live as live  # noqa: F401 - the package's live exchange

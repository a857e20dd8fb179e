"""What the accounts domain announces to the adapters that keep credentials of their own.

The domain knows nothing of how a surface authenticates (the REST API's DRF
tokens live in ``api/rest``); it says that a user lost access, and each
surface forgets what it issued to them.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent (``user=``) inside the transaction that deactivates a user.
user_deactivated = Signal()

# Sent (``user=``) inside the transaction that turns two-factor on: credentials issued
# when the password alone was enough end, the caller's own session excepted.
credentials_rotated = Signal()

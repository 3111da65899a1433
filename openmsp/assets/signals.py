"""Signals other capabilities listen to (monitoring turns them into problems).

Both are sent after the transaction that changed the asset commits, with keyword arguments
`asset` (the Asset) and `at` (the instant of the transition, UTC).

- `asset_offline`: an online asset missed its check-in deadline (`offline_after`).
- `asset_online`: an offline asset checked in again.
"""

from __future__ import annotations

from django.dispatch import Signal

asset_offline = Signal()
asset_online = Signal()

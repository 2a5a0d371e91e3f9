"""Obsługa Faktur's services, built once for the screens and the CLI: `open_invoicing(config)`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ksef_mcu.clock import Clock, SystemClock
from ksef_mcu.invoicing.accounts import AccountService
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.migrations import upgrade_database
from ksef_mcu.invoicing.offline import OfflineService
from ksef_mcu.invoicing.sending import SendingService
from ksef_mcu.invoicing.settings import SettingsService
from ksef_mcu.invoicing.vault import MasterKey
from ksef_mcu.storage.database import Database
from ksef_mcu.storage.files import ensure_private_directory

__all__ = ["Invoicing", "open_invoicing"]


@dataclass
class Invoicing:
    """Everything the screens and the CLI use, built once."""

    config: InvoicingConfig
    database: Database
    clock: Clock
    master_key: MasterKey
    accounts: AccountService
    settings: SettingsService
    offline: OfflineService
    sending: SendingService

    def close(self) -> None:
        self.database.dispose()


def open_invoicing(
    config: InvoicingConfig,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
    migrate: bool = True,
) -> Invoicing:
    """Open the installation: the data directory (0700), the database (migrated), the master key."""
    ensure_private_directory(config.data_dir)
    clock = clock or SystemClock()
    database = Database.from_url(config.resolved_database_url)
    if migrate:
        upgrade_database(database)
    master_key = MasterKey.load_or_create(config.data_dir)
    settings = SettingsService(database, clock, master_key, config, transport=transport)
    return Invoicing(
        config=config,
        database=database,
        clock=clock,
        master_key=master_key,
        accounts=AccountService(database, clock),
        settings=settings,
        offline=OfflineService(database, clock, config, settings),
        sending=SendingService(database, clock, config, settings, transport=transport),
    )

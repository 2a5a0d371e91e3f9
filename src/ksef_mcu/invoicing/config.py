"""Where Obsługa Faktur keeps its data and which KSeF it talks to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from ksef_mcu.client.environments import Environment, normalize_base_url

__all__ = ["PLATFORM_URLS", "InvoicingConfig"]

DATABASE_FILE = "invoicing.sqlite3"

PLATFORM_URLS: dict[Environment, str] = {
    Environment.TEST: "https://web2te-ksef.mf.gov.pl/web/",
    Environment.DEMO: "https://ap-demo.ksef.mf.gov.pl/web/",
    Environment.PROD: "https://ap.ksef.mf.gov.pl/",
}
"""The Ministry's application (MCU / Aplikacja Podatnika) where people obtain certificates, per environment. For our
own server it is the server's web MCU at the root of the API's address."""

ENVIRONMENT_LABELS: dict[Environment, str] = {
    Environment.LOCAL: "lokalny serwer KSeF (ksef-mcu)",
    Environment.TEST: "TEST",
    Environment.DEMO: "DEMO (przedprodukcyjne)",
    Environment.PROD: "PRODUKCJA",
}


@dataclass(frozen=True, slots=True)
class InvoicingConfig:
    """The installation: its data directory and database, and the KSeF it connects to."""

    data_dir: Path
    environment: Environment = Environment.LOCAL
    ksef_url: str | None = None
    """The API base URL (`…/v2`); None means the environment's own."""
    database_url: str | None = None
    public_url: str | None = None

    @classmethod
    def from_options(
        cls,
        *,
        data_dir: Path | None = None,
        environment: str | None = None,
        ksef_url: str | None = None,
        database_url: str | None = None,
    ) -> InvoicingConfig:
        """From command-line options, falling back to `KSEF_MCU_INVOICING_*` variables."""
        data = data_dir or Path(os.environ.get("KSEF_MCU_INVOICING_DATA_DIR", "data-invoicing"))
        env = Environment.parse(environment or os.environ.get("KSEF_MCU_INVOICING_ENV", "local"))
        url = ksef_url or os.environ.get("KSEF_MCU_INVOICING_KSEF_URL") or None
        database = database_url or os.environ.get("KSEF_MCU_INVOICING_DATABASE_URL") or None
        return cls(
            data_dir=data, environment=env, ksef_url=normalize_base_url(url) if url else None, database_url=database
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / DATABASE_FILE).resolve()}"

    @property
    def api_base_url(self) -> str:
        return self.ksef_url or self.environment.api_base_url

    @property
    def environment_label(self) -> str:
        return ENVIRONMENT_LABELS[self.environment]

    @property
    def platform_url(self) -> str:
        """Where "Przejdź do platformy KSeF" leads: our web MCU (the API's root) or the Ministry's application."""
        if self.environment is Environment.LOCAL:
            return self.api_base_url.removesuffix("/v2") + "/"
        return PLATFORM_URLS[self.environment]

    def platform_url_for(self, context_type: str | None, context_value: str | None) -> str:
        """`platform_url` in the company's context where the target allows it: our web MCU pre-fills its login
        context from `?contextType=…&contextValue=…`; the Ministry's application takes no such parameters, so its
        address stays as it is."""
        if self.environment is not Environment.LOCAL or not context_type or not context_value:
            return self.platform_url
        return self.platform_url + "?" + urlencode({"contextType": context_type, "contextValue": context_value})

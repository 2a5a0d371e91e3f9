"""What the `cert` commands that talk to KSeF share: option choices, Polish labels with colours, the limits rows, the
next-steps list and JSON output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from ksef_mcu.cli._common import console
from ksef_mcu.cli._frame import Choice
from ksef_mcu.cli._lazy import client
from ksef_mcu.formatting import CERTIFICATE_STATUS_LABELS, CERTIFICATE_TYPE_LABELS

DEFAULT_WAIT_SECONDS = 300.0

CERTIFICATES_LIMIT_REACHED = (
    "Osiągnięto limit. Wyczerpałeś limit certyfikatów. Możesz zawnioskować o certyfikat nie wcześniej niż na "
    "30 dni przed upływem ważności Twojego najstarszego certyfikatu."
)
"""The MCU's limit dialog, word for word: no active certificate can be added."""


def limit_reached(limits: client.CertificateLimits) -> str:
    """Why no request can be made now, naming the limit that is used up (requests or active certificates)."""
    requests, certificates = limits.enrollment, limits.certificate
    if requests.remaining <= 0:
        text = (
            f"Osiągnięto limit. Wyczerpałeś limit wniosków o certyfikat (wykorzystano {requests.limit} "
            f"z {requests.limit})"
        )
        if certificates.remaining > 0:
            text += f"; aktywnych certyfikatów możesz mieć jeszcze {certificates.remaining} z {certificates.limit}"
        return text + ". Nowy wniosek złożysz, gdy KSeF odnowi limit wniosków (sprawdź: ksef-mcu cert limits)."
    if certificates.remaining <= 0:
        return CERTIFICATES_LIMIT_REACHED
    return "KSeF nie pozwala teraz złożyć wniosku o certyfikat (canRequest: false), choć limity nie są wyczerpane."


ENROLLMENT_PROGRESS = {
    100: "Wniosek przyjęty do realizacji — trwa wydawanie certyfikatu…",
}
TYPE_LABELS = CERTIFICATE_TYPE_LABELS
STATUS_COLOURS = {"Active": "green", "Blocked": "yellow", "Revoked": "red", "Expired": "dim"}


def status_label(status: str) -> str:
    """The status as the MCU list shows it, coloured (rich markup)."""
    return f"[{STATUS_COLOURS[status]}]{CERTIFICATE_STATUS_LABELS[status]}[/]"


AUTHENTICATION = "Authentication"
OFFLINE = "Offline"
TYPE_CHOICE = Choice(
    {"uwierzytelnienie": AUTHENTICATION, "offline": OFFLINE},
    also={"authentication": AUTHENTICATION, "uwierzytelnianie": AUTHENTICATION},
)
"""`--type`: the two purposes of a KSeF certificate, as the API's `CertificateType` values (the English names are
accepted too). Plain strings, so that the command's signature needs no client import."""


JsonOption = Annotated[bool, typer.Option("--json", help="Wynik jako JSON (dla skryptów) zamiast tabeli.")]


def environment_flag(environment: str) -> str:
    """` --env X` for commands suggested to the user; nothing for the default environment."""
    return "" if environment == "local" else f" --env {environment}"


def limits_rows(limits: client.CertificateLimits) -> list[tuple[str, str]]:
    return [
        (
            "Wnioski o certyfikat",
            f"pozostało {limits.enrollment.remaining} z {limits.enrollment.limit}",
        ),
        (
            "Aktywne certyfikaty",
            f"pozostało {limits.certificate.remaining} z {limits.certificate.limit}",
        ),
        ("Można złożyć wniosek", "[green]tak[/]" if limits.can_request else "[red]nie[/]"),
    ]


def status_text(status: client.CertificateEnrollmentStatus) -> str:
    """The spinner's text while a request is followed."""
    return ENROLLMENT_PROGRESS.get(status.status.code, f"Status {status.status.code}: {status.status.description}")


def print_next_steps(lines: Sequence[str]) -> None:
    console.print("\n[bold]Co dalej:[/]")
    for line in lines:
        console.print(f"  • {line}")

"""Polish dates and labels for people: the words and formats the CLI, the MCU web screens and the invoicing app share.

Pure: no I/O, no clock (callers pass the moment), nothing from the rest of the project. Labels are keyed by the KSeF
API's own enum values (`"Active"`, `"Offline"`, …), so the client's and the server's string enums both look them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CERTIFICATE_STATUS_LABELS",
    "CERTIFICATE_STATUS_REASONS",
    "CERTIFICATE_TYPE_LABELS",
    "CERTIFICATE_TYPE_SHORT_LABELS",
    "PERMISSION_LABELS",
    "TOKEN_STATUS_LABELS",
    "WARSAW",
    "format_day",
    "format_moment",
    "iso_moment",
    "plural",
    "polish_date",
    "polish_zone",
    "start_of_day",
]

WARSAW = "Europe/Warsaw"


def polish_zone() -> dt.tzinfo:
    """Poland's time zone (dates people type are Polish calendar dates); UTC if the system has no zone data."""
    try:
        return ZoneInfo(WARSAW)
    except ZoneInfoNotFoundError:
        return dt.UTC


def polish_date(moment: dt.datetime) -> dt.date:
    """The Polish calendar day of an aware moment."""
    return moment.astimezone(polish_zone()).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Poland, as a timezone-aware moment."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=polish_zone())


def format_moment(moment: dt.datetime | None) -> str:
    """An aware moment for people: Polish local time with its zone, `2026-12-02 14:05 CET` (`CEST` in summer); `—`
    when absent (KSeF's `0001-01-01` means never)."""
    if moment is None or moment.year <= 1:
        return "—"
    return moment.astimezone(polish_zone()).strftime("%Y-%m-%d %H:%M %Z")


def iso_moment(moment: dt.datetime) -> str:
    """An aware moment for machines: ISO 8601 in Polish local time with its offset, `2026-12-02T14:05:00+01:00`.

    KSeF's `0001-01-01` ("never") stays as it came, in UTC (Poland's zone had no standard offset in year 1)."""
    if moment.year <= 1:
        return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
    return moment.astimezone(polish_zone()).isoformat(timespec="seconds")


def format_day(moment: dt.datetime) -> str:
    """The Polish calendar day of a moment, `2026-03-01`."""
    return moment.astimezone(polish_zone()).strftime("%Y-%m-%d")


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Polish form for `count`: 1 certyfikat, 2–4 (22–24, …) certyfikaty, otherwise certyfikatów."""
    if count == 1:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many


CERTIFICATE_TYPE_LABELS: Mapping[str, str] = {
    "Authentication": "Uwierzytelnienie (Typ 1)",
    "Offline": "Offline (Typ 2)",
}
"""`CertificateType` → its Polish name with the type number the user guide uses."""
CERTIFICATE_TYPE_SHORT_LABELS: Mapping[str, str] = {"Authentication": "Uwierzytelnienie", "Offline": "Offline"}
"""`CertificateType` → a short Polish name (table columns)."""
CERTIFICATE_STATUS_LABELS: Mapping[str, str] = {
    "Active": "Aktywny",
    "Blocked": "Zablokowany",
    "Revoked": "Unieważniony",
    "Expired": "Wygasły",
}
"""`CertificateListItemStatus` → the status as the MCU's certificate list shows it."""
CERTIFICATE_STATUS_REASONS: Mapping[str, str] = {
    "Blocked": "jest zablokowany (trwa jego unieważnianie)",
    "Revoked": "jest unieważniony",
    "Expired": "wygasł",
}
"""Why a certificate in this status cannot be used, completing "Certyfikat X (nazwa) …"."""

PERMISSION_LABELS: Mapping[str, str] = {
    "InvoiceWrite": "wystawianie faktur",
    "InvoiceRead": "przeglądanie faktur",
    "CredentialsManage": "zarządzanie uprawnieniami",
    "CredentialsRead": "przeglądanie uprawnień",
    "Introspection": "przeglądanie historii sesji",
    "SubunitManage": "zarządzanie jednostkami podrzędnymi",
    "EnforcementOperations": "operacje egzekucyjne",
    "VatUeManage": "zarządzanie podmiotem unijnym",
    "Owner": "właściciel",
    "SelfInvoicing": "samofakturowanie",
    "RRInvoicing": "wystawianie faktur VAT RR",
    "TaxRepresentative": "przedstawiciel podatkowy",
    "PefInvoicing": "faktury PEF",
    "PefInvoiceWrite": "wystawianie faktur PEF",
}
"""A permission (`PersonPermissionType`, entity authorisations, …) → its Polish name, lower case as the user guide
writes it in sentences ("wystawianie faktur"); screens capitalise it where it starts a label."""
TOKEN_STATUS_LABELS: Mapping[str, str] = {
    "Pending": "w trakcie aktywacji",
    "Active": "aktywny",
    "Revoking": "w trakcie unieważniania",
    "Revoked": "unieważniony",
    "Failed": "nieudany",
}
"""`AuthenticationTokenStatus` → the token's status in Polish (lower case)."""

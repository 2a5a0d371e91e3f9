"""The permissions every `/v2` operation requires: ONE declarative table, what `open-api.json` lists as
`x-required-permissions` (any of them suffices, in the caller's context), and an empty tuple where it lists none.

`auth/deps.py` checks it for every call with an access token (403 `missing-permissions` otherwise), reading it from the
components (`ServerComponents.required_permissions`), so no route can forget. A test compares it with the contract
and with the app's routes: an operation of the app without an entry, or with another one, fails it. Operations of the
contract that this server does not serve yet (invoice download, Peppol) have their entries already.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_INVOICE_SENDING = ("InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations")
_SESSION_READING = ("InvoiceWrite", "Introspection", "PefInvoiceWrite", "EnforcementOperations")
_PERMISSION_READING = ("CredentialsManage", "CredentialsRead", "SubunitManage")

REQUIRED_PERMISSIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # Uzyskiwanie dostępu, Aktywne sesje
        "POST /auth/challenge": (),
        "POST /auth/xades-signature": (),
        "POST /auth/ksef-token": (),
        "GET /auth/{referenceNumber}": (),
        "POST /auth/token/redeem": (),
        "POST /auth/token/refresh": (),
        "GET /auth/sessions": (),
        "DELETE /auth/sessions/current": (),
        "DELETE /auth/sessions/{referenceNumber}": (),
        # Certyfikaty, klucze publiczne
        "GET /certificates/limits": (),
        "GET /certificates/enrollments/data": (),
        "POST /certificates/enrollments": (),
        "GET /certificates/enrollments/{referenceNumber}": (),
        "POST /certificates/retrieve": (),
        "POST /certificates/{certificateSerialNumber}/revoke": (),
        "POST /certificates/query": (),
        "GET /security/public-key-certificates": (),
        # Limity i ograniczenia
        "GET /limits/context": (),
        "GET /limits/subject": (),
        "GET /rate-limits": (),
        # Dane testowe (sandbox only)
        "POST /testdata/subject": (),
        "POST /testdata/subject/remove": (),
        "POST /testdata/person": (),
        "POST /testdata/person/remove": (),
        "POST /testdata/permissions": (),
        "POST /testdata/permissions/revoke": (),
        "POST /testdata/attachment": (),
        "POST /testdata/attachment/revoke": (),
        "POST /testdata/context/block": (),
        "POST /testdata/context/unblock": (),
        "POST /testdata/limits/context/session": (),
        "DELETE /testdata/limits/context/session": (),
        "POST /testdata/limits/subject/certificate": (),
        "DELETE /testdata/limits/subject/certificate": (),
        "POST /testdata/rate-limits": (),
        "DELETE /testdata/rate-limits": (),
        "POST /testdata/rate-limits/production": (),
        # Nadawanie uprawnień
        "POST /permissions/persons/grants": ("CredentialsManage",),
        "POST /permissions/entities/grants": ("CredentialsManage",),
        "POST /permissions/authorizations/grants": ("CredentialsManage",),
        "POST /permissions/indirect/grants": ("CredentialsManage",),
        "POST /permissions/subunits/grants": ("SubunitManage",),
        "POST /permissions/eu-entities/administration/grants": ("CredentialsManage",),
        "POST /permissions/eu-entities/grants": ("VatUeManage",),
        # Odbieranie uprawnień
        "DELETE /permissions/common/grants/{permissionId}": ("CredentialsManage", "VatUeManage", "SubunitManage"),
        "DELETE /permissions/authorizations/grants/{permissionId}": ("CredentialsManage",),
        # Operacje
        "GET /permissions/operations/{referenceNumber}": (),
        "GET /permissions/attachments/status": ("CredentialsManage", "CredentialsRead"),
        # Wyszukiwanie nadanych uprawnień
        "POST /permissions/query/personal/grants": (),
        "POST /permissions/query/persons/grants": _PERMISSION_READING,
        "POST /permissions/query/subunits/grants": _PERMISSION_READING,
        "POST /permissions/query/entities/grants": ("CredentialsManage", "CredentialsRead"),
        "GET /permissions/query/entities/roles": ("CredentialsManage", "CredentialsRead"),
        "POST /permissions/query/subordinate-entities/roles": _PERMISSION_READING,
        "POST /permissions/query/authorizations/grants": ("CredentialsManage", "CredentialsRead", "PefInvoiceWrite"),
        "POST /permissions/query/eu-entities/grants": ("CredentialsManage", "CredentialsRead", "VatUeManage"),
        # Tokeny KSeF (their scoping rules live in the tokens service)
        "POST /tokens": (),
        "GET /tokens": (),
        "GET /tokens/{referenceNumber}": (),
        "DELETE /tokens/{referenceNumber}": (),
        # Wysyłka interaktywna i wsadowa
        "POST /sessions/online": _INVOICE_SENDING,
        "POST /sessions/online/{referenceNumber}/invoices": _INVOICE_SENDING,
        "POST /sessions/online/{referenceNumber}/close": _INVOICE_SENDING,
        "POST /sessions/batch": ("InvoiceWrite", "EnforcementOperations"),
        "POST /sessions/batch/{referenceNumber}/close": ("InvoiceWrite", "EnforcementOperations"),
        # Status wysyłki i UPO
        "GET /sessions": ("InvoiceWrite", "Introspection", "EnforcementOperations"),
        "GET /sessions/{referenceNumber}": _SESSION_READING,
        "GET /sessions/{referenceNumber}/invoices": _SESSION_READING,
        "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}": _SESSION_READING,
        "GET /sessions/{referenceNumber}/invoices/failed": _SESSION_READING,
        "GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo": _SESSION_READING,
        "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo": _SESSION_READING,
        "GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}": _SESSION_READING,
        # Pobieranie faktur
        "GET /invoices/ksef/{ksefNumber}": ("InvoiceRead",),
        "POST /invoices/query/metadata": ("InvoiceRead",),
        "POST /invoices/exports": ("InvoiceRead",),
        "GET /invoices/exports/{referenceNumber}": ("InvoiceRead",),
        # Usługi Peppol
        "GET /peppol/query": (),
    }
)
"""`METHOD /path` (without `/v2`) → the permissions of which the caller needs at least one (none: `()`)."""


def required_permissions(endpoint: str, *, prefix: str = "/v2") -> tuple[str, ...] | None:
    """The entry for `METHOD /v2/path/{template}` (as `http.deps.endpoint_of` names it), or None without one."""
    method, _, path = endpoint.partition(" ")
    if path.startswith(prefix):
        path = path[len(prefix) :]
    return REQUIRED_PERMISSIONS.get(f"{method} {path}")

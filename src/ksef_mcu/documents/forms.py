"""The invoice structures (forms) an online session may declare and we can read: FA(2) and FA(3).

A form is named in `POST /sessions/online` by its `formCode` triple (`systemCode`, `schemaVersion`, `value`), in the
invoice by its root namespace and `Naglowek/KodFormularza`, and in the UPO by `KodFormularza` and
`NazwaStrukturyLogicznej`. PEF and FA_RR forms exist in KSeF but are not handled here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class InvoiceForm:
    """One invoice structure: its KSeF form code, XML namespace, form variant and official XSD file name."""

    system_code: str
    schema_version: str
    value: str
    namespace: str
    variant: int
    xsd_name: str

    @property
    def logical_structure_name(self) -> str:
        """The XSD name as the UPO's `NazwaStrukturyLogicznej` writes it (capital S, e.g. `Schemat_FA(3)_v1-0E.xsd`)."""
        return self.xsd_name[:1].upper() + self.xsd_name[1:]

    @property
    def label(self) -> str:
        """`FA (3)` — the system code, as people and the UPO's `KodFormularza` name the form."""
        return self.system_code


FA2: Final = InvoiceForm(
    system_code="FA (2)",
    schema_version="1-0E",
    value="FA",
    namespace="http://crd.gov.pl/wzor/2023/06/29/12648/",
    variant=2,
    xsd_name="schemat_FA(2)_v1-0E.xsd",
)
FA3: Final = InvoiceForm(
    system_code="FA (3)",
    schema_version="1-0E",
    value="FA",
    namespace="http://crd.gov.pl/wzor/2025/06/25/13775/",
    variant=3,
    xsd_name="schemat_FA(3)_v1-0E.xsd",
)
INVOICE_FORMS: Final = (FA2, FA3)

#: The schemas every FA XSD imports (`StrukturyDanych` includes `ElementarneTypyDanych`, which includes `KodyKrajow`).
BASE_SCHEMA_NAMES: Final = (
    "StrukturyDanych_v10-0E.xsd",
    "ElementarneTypyDanych_v10-0E.xsd",
    "KodyKrajow_v10-0E.xsd",
)


def form_for_code(system_code: str, schema_version: str, value: str) -> InvoiceForm | None:
    """The form a session's `formCode` names, or None when it is not FA(2) or FA(3) (compared exactly, as KSeF does:
    `FA (3)` has a space before the parenthesis)."""
    for form in INVOICE_FORMS:
        if (form.system_code, form.schema_version, form.value) == (system_code, schema_version, value):
            return form
    return None


def form_for_namespace(namespace: str | None) -> InvoiceForm | None:
    """The form whose invoices use this root namespace, or None."""
    for form in INVOICE_FORMS:
        if form.namespace == namespace:
            return form
    return None

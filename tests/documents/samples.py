"""Small, schema-valid FA(2) and FA(3) invoices for tests, with the fields that matter as parameters."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from ksef_mcu.documents.forms import FA2, FA3, InvoiceForm

SELLER_NIP = "5265877635"
BUYER_NIP = "7352765225"


def invoice_xml(
    form: InvoiceForm = FA3,
    *,
    seller_nip: str = SELLER_NIP,
    seller_name: str = "Firma Testowa sp. z o.o.",
    issue_date: dt.date = dt.date(2026, 2, 1),
    number: str = "FV/1/02/2026",
    gross: str = "123.00",
    attachment: bool = False,
    declaration: bool = True,
    extra_line_items: int = 0,
) -> bytes:
    """An invoice of one line item (23 % VAT) that validates against the official XSD of `form`."""
    # FA(3) requires JST and GV (Podmiot2) and knows Zalacznik; FA(2) has neither.
    buyer_flags = "<JST>2</JST><GV>2</GV>" if form is FA3 else ""
    lines = "".join(
        f"<FaWiersz><NrWierszaFa>{index + 1}</NrWierszaFa><P_7>Usługa {index + 1}</P_7><P_8A>szt.</P_8A>"
        "<P_8B>1</P_8B><P_9A>100.00</P_9A><P_11>100.00</P_11><P_12>23</P_12></FaWiersz>"
        for index in range(1 + extra_line_items)
    )
    attachment_xml = (
        "<Zalacznik><BlokDanych><MetaDane><ZKlucz>Opis</ZKlucz><ZWartosc>Załącznik</ZWartosc></MetaDane>"
        "<Tekst><Akapit>Treść załącznika.</Akapit></Tekst></BlokDanych></Zalacznik>"
        if attachment
        else ""
    )
    body = (
        f'<Faktura xmlns="{form.namespace}">'
        "<Naglowek>"
        f'<KodFormularza kodSystemowy="{form.system_code}" wersjaSchemy="{form.schema_version}">FA</KodFormularza>'
        f"<WariantFormularza>{form.variant}</WariantFormularza>"
        "<DataWytworzeniaFa>2026-02-01T10:00:00Z</DataWytworzeniaFa>"
        "<SystemInfo>ksef-mcu testy</SystemInfo>"
        "</Naglowek>"
        "<Podmiot1><DaneIdentyfikacyjne>"
        f"<NIP>{seller_nip}</NIP><Nazwa>{escape(seller_name)}</Nazwa>"
        "</DaneIdentyfikacyjne>"
        "<Adres><KodKraju>PL</KodKraju><AdresL1>ul. Prosta 1, 00-001 Warszawa</AdresL1></Adres>"
        "</Podmiot1>"
        "<Podmiot2><DaneIdentyfikacyjne>"
        f"<NIP>{BUYER_NIP}</NIP><Nazwa>Nabywca S.A.</Nazwa>"
        "</DaneIdentyfikacyjne>"
        "<Adres><KodKraju>PL</KodKraju><AdresL1>ul. Krzywa 2, 30-001 Kraków</AdresL1></Adres>"
        f"{buyer_flags}</Podmiot2>"
        "<Fa>"
        "<KodWaluty>PLN</KodWaluty>"
        f"<P_1>{issue_date:%Y-%m-%d}</P_1>"
        "<P_1M>Warszawa</P_1M>"
        f"<P_2>{escape(number)}</P_2>"
        "<P_13_1>100.00</P_13_1><P_14_1>23.00</P_14_1>"
        f"<P_15>{gross}</P_15>"
        "<Adnotacje><P_16>2</P_16><P_17>2</P_17><P_18>2</P_18><P_18A>2</P_18A>"
        "<Zwolnienie><P_19N>1</P_19N></Zwolnienie>"
        "<NoweSrodkiTransportu><P_22N>1</P_22N></NoweSrodkiTransportu>"
        "<P_23>2</P_23><PMarzy><P_PMarzyN>1</P_PMarzyN></PMarzy></Adnotacje>"
        "<RodzajFaktury>VAT</RodzajFaktury>"
        f"{lines}"
        "</Fa>"
        f"{attachment_xml}"
        "</Faktura>"
    )
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    return (prolog + body).encode("utf-8")


FA2_INVOICE = invoice_xml(FA2)
FA3_INVOICE = invoice_xml(FA3)

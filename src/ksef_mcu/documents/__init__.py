"""Invoice documents shared by the KSeF server and Obsługa Faktur: pure code, bytes and dates in, values out.

- `ksef_numbers`: build, parse and validate KSeF numbers (CRC-8);
- `forms`: the FA(2)/FA(3) forms (form codes, namespaces, XSD names);
- `invoices`: read an invoice file safely, with the file and content rules KSeF applies;
- `schemas`: full XSD validation against the official schemas, found locally at run time;
- `upo`: build, sign, hash, read and verify UPOs (v4-3).

Errors: `errors.DocumentError` and its subclasses (Polish messages; invoice refusals carry the KSeF status code).
Imports only `ksef_mcu.crypto` from the project (an import-linter contract keeps it so).
"""

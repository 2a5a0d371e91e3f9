"""The API operations, one module per API tag; each declares its endpoints once for both clients (see `_faces`).

| module | API tag | face on `KsefClient` / `AsyncKsefClient` |
|---|---|---|
| `base` | (any endpoint, untyped) | `client.request(...)` |
| `auth` | Uzyskiwanie dostępu, Aktywne sesje | `client.auth` |
| `certificates` | Certyfikaty | `client.certificates`, its `Enrollment` handles |
| `security` | Certyfikaty klucza publicznego | `client.security` |
| `testdata` | Dane testowe, Limity i ograniczenia (test only) | `client.testdata` |

Next, each in its own module: `sessions` (online sessions, invoices, UPO — Wysyłka interaktywna, Status wysyłki i
UPO, Pobieranie faktur), `permissions` (Nadawanie/Odbieranie/Wyszukiwanie uprawnień), `tokens` (Tokeny KSeF).
`polling` follows asynchronous operations to their end.
"""

"""The MCU screens ("Moduł Certyfikatów i Uprawnień" in the browser): the user guide's pages over the same services
the `/v2` API uses — logging in, requesting a certificate with the key made in the browser, following the request,
the certificate list with downloads and revocation — plus `/docs` and `/redoc` served offline.

Rooms: `module.py` plugs the screens into the app; `routes/` (HTTP only); `service.py` (the logins, over the auth
domain's services); `screens.py` (components, renderer, cookie session → `Principal`); `fields.py` (reading what
people type); `messages.py` (what went wrong, in Polish); `errors.py` (the mount's error pages); `templates/` and
`static/js/` (the browser cryptography and the screens' small modules). Built on the web toolkit `ksef_mcu.web`.
"""

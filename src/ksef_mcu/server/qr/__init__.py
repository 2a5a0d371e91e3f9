"""The public QR verification pages (no login): KOD I (is this invoice in our KSeF, and its KSeF number) and KOD II
(may this Offline certificate's holder issue this invoice), at the paths of `kody-qr.md` under `<public URL>/qr`,
as HTML pages for people and JSON for machines (docs/qr.md)."""

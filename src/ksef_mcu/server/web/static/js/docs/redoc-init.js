// ReDoc for /redoc, started from a file rather than an inline script (the page's CSP forbids inline code).
const root = document.getElementById("redoc");
window.Redoc.init(root.dataset.openapi, { hideDownloadButton: false }, root);

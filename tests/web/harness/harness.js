// Test-only: load every browser module under the screens' CSP and expose them to the tests as window.ksef.
import * as certificate from "/static/js/certificate.js";
import * as csr from "/static/js/csr.js";
import * as der from "/static/js/der.js";
import * as download from "/static/js/download.js";
import * as enroll from "/static/js/enroll.js";
import * as errors from "/static/js/errors.js";
import * as keyfile from "/static/js/keyfile.js";
import * as keys from "/static/js/keys.js";
import * as pem from "/static/js/pem.js";
import * as pkcs8 from "/static/js/pkcs8.js";
import * as rules from "/static/js/rules.js";
import * as xades from "/static/js/xades.js";

window.ksef = { certificate, csr, der, download, enroll, errors, keyfile, keys, pem, pkcs8, rules, xades };
document.documentElement.dataset.ready = "yes";

"""The certificates domain's SQL: the certificate registry, the enrollment queue, subjects' limits, reserved
serials. Repositories run on a connection handed in by a service and never commit."""

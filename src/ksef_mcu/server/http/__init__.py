"""HTTP plumbing every domain's routes share: errors → responses (per mount; the KSeF formats for `/v2`), the
components and caller's IP as dependencies, rate limits, request/response base models, the system-warning echo."""

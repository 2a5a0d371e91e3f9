"""Certificate enrollment: registration policy (pure), registration authority, the CA core, the issuance worker."""

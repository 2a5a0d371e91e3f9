"""KSeF tokens (`/v2/tokens`): generated after a signature login with a fixed set of the author's permissions, used
at `POST /v2/auth/ksef-token` (through the login flow's `KsefTokenAuthority` hook), listed and revoked."""

"""Test data (sandbox mode): the official TEST environment's `/v2/testdata/*` — special subjects, NIP–PESEL persons,
permission grants, blocked contexts — and the permission resolver the login flow uses until the permissions
domain brings its own."""

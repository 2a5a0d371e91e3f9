"""The sync and async clients expose the same operations with the same signatures, derived from one declaration."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ksef_mcu.client import AsyncKsefClient, Enrollment, KsefClient
from ksef_mcu.client._core import Flow
from ksef_mcu.client._faces import Face, Listing, Operation, Page, listing
from ksef_mcu.client.aio import AsyncEnrollment

from .fakes import LIMITS, START, tokens

REFERENCE = "20251010-EH-1B6C9EB000-4B15D3AEB9-89"
# What only one face has, by design: how it is closed and entered.
LIFECYCLE = {"close", "aclose"}


TAGS = ["client", "auth", "certificates", "security", "testdata", "enrollment", "permissions", "ksef_tokens"]


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[KsefClient, AsyncKsefClient]]:
    sync_client = KsefClient(transport=httpx.MockTransport(lambda _: httpx.Response(500)), tokens=tokens())
    async_client = AsyncKsefClient(transport=httpx.MockTransport(lambda _: httpx.Response(500)), tokens=tokens())
    yield sync_client, async_client
    sync_client.close()
    asyncio.run(async_client.aclose())


def _faces(tag: str, clients: tuple[KsefClient, AsyncKsefClient]) -> tuple[object, object]:
    sync_client, async_client = clients
    if tag == "client":
        return sync_client, async_client
    if tag == "enrollment":
        return sync_client.certificates.enrollment(REFERENCE), async_client.certificates.enrollment(REFERENCE)
    return getattr(sync_client, tag), getattr(async_client, tag)


def _public_methods(face: object) -> dict[str, Any]:
    return {
        name: getattr(face, name)
        for name in dir(face)
        if not name.startswith("_") and name not in LIFECYCLE and callable(getattr(face, name))
    }


def _sync_view(annotation: object) -> object:
    """The sync face's return annotation for an async face's one (AsyncIterator → Iterator, Async* handles)."""
    if typing.get_origin(annotation) is AsyncIterator:
        return Iterator[typing.get_args(annotation)]  # type: ignore[misc]
    if annotation is AsyncEnrollment:
        return Enrollment
    return annotation


def test_the_client_has_the_same_tags_on_both_faces(clients: tuple[KsefClient, AsyncKsefClient]) -> None:
    sync_client, async_client = clients
    sync_tags = {name for name, value in vars(sync_client).items() if isinstance(value, Face)}
    async_tags = {name for name, value in vars(async_client).items() if isinstance(value, Face)}
    assert (
        sync_tags
        == async_tags
        == {"auth", "certificates", "security", "testdata", "permissions", "ksef_tokens", "sessions"}
    )


@pytest.mark.parametrize("tag", TAGS)
def test_both_faces_expose_the_same_operations_with_the_same_signatures(
    tag: str, clients: tuple[KsefClient, AsyncKsefClient]
) -> None:
    sync_face, async_face = _faces(tag, clients)
    sync_methods, async_methods = _public_methods(sync_face), _public_methods(async_face)
    assert sorted(sync_methods) == sorted(async_methods), f"{tag}: the faces differ"
    assert sync_methods, tag
    for name, sync_method in sync_methods.items():
        async_method = async_methods[name]
        sync_signature, async_signature = inspect.signature(sync_method), inspect.signature(async_method)
        # Same parameters, kinds, defaults and annotations.
        assert sync_signature.parameters == async_signature.parameters, f"{tag}.{name}"
        assert sync_signature.return_annotation == _sync_view(async_signature.return_annotation), f"{tag}.{name}"
        assert sync_method.__doc__ == async_method.__doc__, f"{tag}.{name}"
        assert not inspect.iscoroutinefunction(sync_method), f"{tag}.{name}"
        if getattr(sync_method, "__func__", None) is getattr(async_method, "__func__", object()):
            continue  # one plain method shared by both faces (no I/O, e.g. `enrollment(reference)`)
        returns_iterator = typing.get_origin(async_signature.return_annotation) is AsyncIterator
        assert inspect.iscoroutinefunction(async_method) is not returns_iterator, f"{tag}.{name}"


@pytest.mark.parametrize("tag", TAGS)
def test_the_faces_only_name_their_declarations(tag: str, clients: tuple[KsefClient, AsyncKsefClient]) -> None:
    """A face class adds no method of its own beyond its lifecycle (a hand-written wrapper would drift); it only
    names its driver and, for certificates, its enrollment handle class."""
    sync_face, async_face = _faces(tag, clients)
    allowed = {"__init__", "close", "aclose", "__enter__", "__exit__", "__aenter__", "__aexit__", "run"}
    for face in (sync_face, async_face):
        own = {
            name
            for name, value in vars(type(face)).items()
            if inspect.isfunction(value)
            or isinstance(value, Operation | Listing | property | classmethod | staticmethod)
        }
        assert own <= allowed, f"{type(face).__name__} defines {own - allowed}"


def test_signatures_name_the_face_types(clients: tuple[KsefClient, AsyncKsefClient]) -> None:
    client, async_client = clients
    assert inspect.signature(client.certificates.enroll).return_annotation is Enrollment
    assert inspect.signature(async_client.certificates.enroll).return_annotation is AsyncEnrollment
    assert inspect.signature(client.auth.sessions).parameters["page_size"].default == 100
    assert client.certificates.limits.__qualname__ == "CertificatesApi.limits"
    assert "GET /certificates/limits" in (client.certificates.limits.__doc__ or "")
    handle = client.certificates.enrollment(REFERENCE)
    assert isinstance(handle, Enrollment)
    assert repr(handle) == f"Enrollment('{REFERENCE}')"
    assert repr(async_client.certificates.enrollment(REFERENCE)) == f"AsyncEnrollment('{REFERENCE}')"


def test_listing_checks_its_arguments_at_once_so_it_may_not_be_a_generator() -> None:
    def pages(self: object) -> Flow[Page[int]]:
        yield from ()
        return Page([1])

    with pytest.raises(TypeError, match="first page"):
        listing(pages)


def test_async_face_returns_a_coroutine_that_sends_nothing_until_awaited() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=LIMITS)

    async def main() -> None:
        async with AsyncKsefClient(
            transport=httpx.MockTransport(handler), tokens=tokens(), clock=lambda: START
        ) as client:
            pending = client.certificates.limits()
            assert inspect.iscoroutine(pending)
            assert sent == []
            assert (await pending).can_request
            assert len(sent) == 1

    asyncio.run(main())

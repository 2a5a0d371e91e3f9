"""How one declaration of an endpoint becomes a method of both clients.

An API tag is one class generic in its driver, e.g. `CertificatesOperations(Face[D])`. Each endpoint is declared
there once, as a method that returns a sans-IO flow (see `_core`) and carries the docstring callers read:

```python
@operation
def limits(self) -> Flow[CertificateLimits]:
    \"\"\"`GET /certificates/limits`: ...\"\"\"
    request = ApiRequest("GET", "/certificates/limits", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(self._state, request)), CertificateLimits, request)
```

The faces are one-line subclasses: `CertificatesApi(CertificatesOperations[SyncDriver, ...])` in `client.py` and
`AsyncCertificatesApi(CertificatesOperations[AsyncDriver, ...])` in `aio.py`. Reading `face.limits` gives a
function with the declaration's parameters, defaults and docstring that runs the flow with the face's driver: it
returns the result on a `SyncDriver` and is a coroutine function on an `AsyncDriver`. `@listing` does the same
for paged listings (an iterator / an async iterator of items, pages fetched lazily, arguments checked at once).
mypy sees the same: the descriptors' overloads type `face.limits` as `() -> CertificateLimits` on a sync face and
`() -> Coroutine[..., CertificateLimits]` on an async one.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

import httpx

from ksef_mcu.client._core import ClientState, Flow, Sleep

__all__ = [
    "AsyncDriver",
    "D",
    "Face",
    "Listing",
    "Operation",
    "Page",
    "SyncDriver",
    "listing",
    "operation",
]

P = ParamSpec("P")
T = TypeVar("T")
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    """One page of a listing: its items and the flow that fetches the next page (None after the last one)."""

    items: Sequence[Item]
    following: Flow[Page[Item]] | None = None


class SyncDriver:
    """Runs flows with an `httpx.Client` and a blocking `sleep`: the engine of `KsefClient`."""

    def __init__(self, state: ClientState, http: httpx.Client, sleep: Callable[[float], None]) -> None:
        self.state = state
        self.http = http
        self.sleep = sleep

    def run(self, flow: Flow[T]) -> T:
        """Drive `flow` to its end: send its requests, sleep its sleeps, throw transport errors into it."""
        outcome: httpx.Response | httpx.TransportError | None = None
        while True:
            try:
                effect = flow.throw(outcome) if isinstance(outcome, httpx.TransportError) else flow.send(outcome)
            except StopIteration as stop:
                return cast(T, stop.value)
            if isinstance(effect, Sleep):
                self.sleep(effect.seconds)
                outcome = None
                continue
            spec = self.state.http_request(effect)
            request = self.http.build_request(
                spec.method, spec.url, headers=spec.headers, params=spec.params, json=spec.json, content=spec.content
            )
            try:
                outcome = self.http.send(request)
            except httpx.TransportError as exc:
                outcome = exc

    def items(self, first: Flow[Page[Item]]) -> Iterator[Item]:
        """Every item of a listing, fetching each page when the previous one is used up."""
        flow: Flow[Page[Item]] | None = first
        while flow is not None:
            page = self.run(flow)
            yield from page.items
            flow = page.following

    def method(self, face: Face[Any], declaration: Callable[..., Flow[Any]]) -> Callable[..., Any]:
        """The sync method for an `@operation` declaration."""

        def method(*args: Any, **kwargs: Any) -> Any:
            return self.run(declaration(face, *args, **kwargs))

        return method

    def listing_method(self, face: Face[Any], declaration: Callable[..., Flow[Page[Any]]]) -> Callable[..., Any]:
        """The sync method for a `@listing` declaration: arguments checked at once, pages fetched while iterating."""

        def method(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return self.items(declaration(face, *args, **kwargs))

        return method


class AsyncDriver:
    """Runs flows with an `httpx.AsyncClient` and an async `sleep`: the engine of `AsyncKsefClient`."""

    def __init__(
        self,
        state: ClientState,
        http: httpx.AsyncClient,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.state = state
        self.http = http
        self.sleep = sleep

    async def run(self, flow: Flow[T]) -> T:
        """Drive `flow` to its end (the async counterpart of `SyncDriver.run`)."""
        outcome: httpx.Response | httpx.TransportError | None = None
        while True:
            try:
                effect = flow.throw(outcome) if isinstance(outcome, httpx.TransportError) else flow.send(outcome)
            except StopIteration as stop:
                return cast(T, stop.value)
            if isinstance(effect, Sleep):
                await self.sleep(effect.seconds)
                outcome = None
                continue
            spec = self.state.http_request(effect)
            request = self.http.build_request(
                spec.method, spec.url, headers=spec.headers, params=spec.params, json=spec.json, content=spec.content
            )
            try:
                outcome = await self.http.send(request)
            except httpx.TransportError as exc:
                outcome = exc

    async def items(self, first: Flow[Page[Item]]) -> AsyncIterator[Item]:
        """Every item of a listing, fetching each page when the previous one is used up."""
        flow: Flow[Page[Item]] | None = first
        while flow is not None:
            page = await self.run(flow)
            for item in page.items:
                yield item
            flow = page.following

    def method(self, face: Face[Any], declaration: Callable[..., Flow[Any]]) -> Callable[..., Any]:
        """The coroutine method for an `@operation` declaration."""

        async def method(*args: Any, **kwargs: Any) -> Any:
            return await self.run(declaration(face, *args, **kwargs))

        return method

    def listing_method(self, face: Face[Any], declaration: Callable[..., Flow[Page[Any]]]) -> Callable[..., Any]:
        """The method for a `@listing` declaration: arguments checked at once, an async iterator of the items."""

        def method(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            return self.items(declaration(face, *args, **kwargs))

        return method


D = TypeVar("D", bound=SyncDriver | AsyncDriver)


class Face(Generic[D]):
    """Operations bound to one client's driver: a sync face on a `SyncDriver`, an async one on an `AsyncDriver`."""

    _driver: D

    def __init__(self, owner: Face[D]) -> None:
        self._driver = owner._driver

    @property
    def _state(self) -> ClientState:
        return self._driver.state


class Operation(Generic[P, T]):
    """Descriptor made by `@operation`: one endpoint (or multi-step flow) declared once for both faces."""

    def __init__(self, declaration: Callable[Concatenate[Any, P], Flow[T]]) -> None:
        self.declaration = declaration
        self.name = declaration.__name__
        self.__doc__ = declaration.__doc__

    def __set_name__(self, owner: type[object], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, face: None, owner: type[object]) -> Self: ...
    @overload
    def __get__(self, face: Face[SyncDriver], owner: type[object]) -> Callable[P, T]: ...
    @overload
    def __get__(self, face: Face[AsyncDriver], owner: type[object]) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, face: Face[Any] | None, owner: type[object]) -> Any:
        if face is None:
            return self
        method = face._driver.method(face, self.declaration)
        _describe(method, self.declaration, face, self.name)
        face.__dict__[self.name] = method  # built once per face: the instance attribute now wins
        return method


class Listing(Generic[P, Item]):
    """Descriptor made by `@listing`: a paged listing declared once for both faces."""

    def __init__(self, declaration: Callable[Concatenate[Any, P], Flow[Page[Item]]]) -> None:
        if inspect.isgeneratorfunction(declaration):
            # A generator body would run only at the first page, so bad arguments would surface late.
            raise TypeError(f"@listing {declaration.__name__}: check the arguments and return the first page's flow")
        self.declaration = declaration
        self.name = declaration.__name__
        self.__doc__ = declaration.__doc__

    def __set_name__(self, owner: type[object], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, face: None, owner: type[object]) -> Self: ...
    @overload
    def __get__(self, face: Face[SyncDriver], owner: type[object]) -> Callable[P, Iterator[Item]]: ...
    @overload
    def __get__(self, face: Face[AsyncDriver], owner: type[object]) -> Callable[P, AsyncIterator[Item]]: ...
    def __get__(self, face: Face[Any] | None, owner: type[object]) -> Any:
        if face is None:
            return self
        method = face._driver.listing_method(face, self.declaration)
        _describe(method, self.declaration, face, self.name)
        face.__dict__[self.name] = method
        return method


def operation(declaration: Callable[Concatenate[Any, P], Flow[T]]) -> Operation[P, T]:
    """Declare an operation of an API tag: a method returning the flow whose result both faces return."""
    return Operation(declaration)


def listing(declaration: Callable[Concatenate[Any, P], Flow[Page[Item]]]) -> Listing[P, Item]:
    """Declare a paged listing: a plain method (not a generator) that checks its arguments and returns the flow of
    the first page; each `Page` carries the flow of the next one."""
    return Listing(declaration)


# --- what `inspect` and `help()` show -----------------------------------------------------------------------------


def _describe(method: Callable[..., Any], declaration: Callable[..., Any], face: Face[Any], name: str) -> None:
    """Give a face's method the declaration's name, docstring and signature (without `self`), with the return
    annotation a caller sees: the flow's result, or an (async) iterator of a listing's items."""
    method.__name__ = name
    method.__qualname__ = f"{type(face).__qualname__}.{name}"
    method.__module__ = type(face).__module__
    method.__doc__ = declaration.__doc__
    key = (declaration, type(face), type(face._driver))
    signature = _SIGNATURES.get(key)
    if signature is None:
        signature = _SIGNATURES[key] = _signature(*key)
    method.__signature__ = signature  # type: ignore[attr-defined]


# One entry per (declaration, face class, driver class): a bounded set, fixed by the code.
_SIGNATURES: dict[tuple[Callable[..., Any], type[object], type[object]], inspect.Signature] = {}


def _signature(
    declaration: Callable[..., Any], face_type: type[object], driver_type: type[object]
) -> inspect.Signature:
    signature = inspect.signature(declaration, eval_str=True)
    result = typing.get_args(signature.return_annotation)[2]  # Flow[X] is Generator[Effect, Response | None, X]
    result = _substitute(result, _type_arguments(face_type))
    if typing.get_origin(result) is Page:
        [item] = typing.get_args(result)
        result = Iterator[item] if issubclass(driver_type, SyncDriver) else AsyncIterator[item]  # type: ignore[valid-type]
    return signature.replace(parameters=list(signature.parameters.values())[1:], return_annotation=result)


def _type_arguments(face_type: type[object]) -> Mapping[object, object]:
    """The type arguments a face class gives its generic bases (`CertificatesApi` → D: SyncDriver, H: Enrollment)."""
    bindings: dict[object, object] = {}
    for cls in face_type.__mro__:
        for base in getattr(cls, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            for parameter, argument in zip(getattr(origin, "__parameters__", ()), typing.get_args(base), strict=False):
                bindings.setdefault(parameter, bindings.get(argument, argument))
    return bindings


def _substitute(annotation: object, bindings: Mapping[object, object]) -> object:
    if isinstance(annotation, TypeVar):
        return bindings.get(annotation, annotation)
    parameters = getattr(annotation, "__parameters__", ())
    if parameters and typing.get_origin(annotation) is not None:
        return annotation[tuple(bindings.get(parameter, parameter) for parameter in parameters)]  # type: ignore[index]
    return annotation

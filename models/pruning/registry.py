"""A small named registry: a decorator fills it, ``create``/``names`` sit on top.

Pruning methods and pruning schemes are "things with names" (timm's ``_registry.py``); both
use :class:`Registry`, which refuses duplicate names and answers an unknown name with the
list of valid ones.

Example
-------
>>> shapes = Registry("shape")
>>> @shapes.register("square")
... class Square:
...     def __init__(self, side=1):
...         self.side = side
>>> shapes.create("square", side=2).side
2
>>> shapes.names()
['square']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Registry"]


class Registry:
    """Factories by name for one kind of thing (``kind`` is used in error messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering a class or factory under ``name``.

        Raises
        ------
        ValueError
            If ``name`` is empty or already registered.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.kind} name must be a non-empty string. Got {name!r}.")

        def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._factories:
                raise ValueError(f"A {self.kind} named {name!r} is already registered.")
            self._factories[name] = factory
            if isinstance(factory, type):
                factory.name = name  # the registered name travels with the class
            return factory

        return decorator

    def create(self, name: str, /, **options: Any) -> Any:
        """Build the thing registered as ``name`` with keyword ``options``."""
        return self.factory(name)(**options)

    def factory(self, name: str) -> Callable[..., Any]:
        """The class or factory registered as ``name``.

        Raises
        ------
        ValueError
            If ``name`` is not registered; the message lists the valid names.
        """
        try:
            return self._factories[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"Unknown {self.kind} {name!r}; valid names: {self.names()}."
            ) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

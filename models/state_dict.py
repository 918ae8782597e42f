"""Load state dicts with an error that says exactly which keys and shapes do not fit.

torch's ``load_state_dict`` fails on a state dict from another architecture with a long
``RuntimeError``, possibly after it has copied some tensors. sparsescope's models check the whole
state dict first and raise :class:`ArchitectureMismatchError` naming the missing keys, the
unexpected keys and every shape mismatch, before anything is loaded; masks are validated with
:func:`models.masking.check_mask` (bool or 0/1 only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from models.masking import MaskedModule, check_mask

__all__ = ["ArchitectureMismatchError", "CheckedStateDictMixin", "check_state_dict"]

_SHOWN = 10  # keys listed per category in an error message


class ArchitectureMismatchError(RuntimeError):
    """A state dict was saved from a model with a different architecture."""


def check_state_dict(
    module: nn.Module, state_dict: Mapping[str, Any], *, strict: bool = True
) -> None:
    """Check that ``state_dict`` fits ``module`` without loading it.

    Keys and shapes must match, and so must the values of buffers a module declares in its
    ``architecture_buffers`` class attribute.

    Parameters
    ----------
    module:
        The model to load into.
    state_dict:
        Mapping of keys to tensors, as from ``module.state_dict()``.
    strict:
        Also require the key sets to match exactly (as ``load_state_dict(strict=True)``).

    Raises
    ------
    ArchitectureMismatchError
        Naming the missing keys, unexpected keys and shape mismatches.
    models.masking.MaskError
        If a mask entry is not boolean or 0/1.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"The 'state_dict' parameter of {type(module).__name__}.load_state_dict must be a "
            f"mapping of names to tensors. Got {type(state_dict).__name__} instead."
        )
    expected = module.state_dict(keep_vars=True)
    problems: list[str] = []
    if strict:
        missing = [key for key in expected if key not in state_dict]
        unexpected = [key for key in state_dict if key not in expected]
        if missing:
            problems.append(f"missing keys {_shorten(missing)}")
        if unexpected:
            problems.append(f"unexpected keys {_shorten(unexpected)}")
    mismatched = []
    for key, value in state_dict.items():
        if key not in expected:
            continue
        if not isinstance(value, torch.Tensor):
            mismatched.append(f"{key}: expected a tensor, got {type(value).__name__}")
        elif tuple(value.shape) != tuple(expected[key].shape):
            mismatched.append(
                f"{key}: expected shape {tuple(expected[key].shape)}, got {tuple(value.shape)}"
            )
    if mismatched:
        problems.append("shape mismatches: " + "; ".join(_shorten_list(mismatched)))
    else:
        differing = [
            key
            for key in _architecture_keys(module)
            if key in state_dict and not torch.equal(state_dict[key].cpu(), expected[key].cpu())
        ]
        if differing:
            problems.append(
                f"architecture buffers {differing} hold other values (a different structure)"
            )
    if problems:
        raise ArchitectureMismatchError(
            f"The state dict does not fit {type(module).__name__}: " + "; ".join(problems) + "."
        )
    for key, value in state_dict.items():
        owner, name = _mask_owner(module, key)
        if owner is not None:
            check_mask(value, getattr(owner, name), where=f"state dict key {key!r}")


class CheckedStateDictMixin(nn.Module):
    """``load_state_dict`` that runs :func:`check_state_dict` before loading anything."""

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign=False):
        """Load ``state_dict`` after checking it fits (see :func:`check_state_dict`)."""
        check_state_dict(self, state_dict, strict=strict)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)


def _architecture_keys(module: nn.Module) -> list[str]:
    """State dict keys of buffers that describe the architecture and must match exactly.

    A module lists them in a class attribute ``architecture_buffers`` (e.g. the layer layout
    of a DAG network, which two different DAGs can share tensor shapes with).
    """
    keys = []
    for prefix, submodule in module.named_modules():
        for name in getattr(submodule, "architecture_buffers", ()):
            keys.append(f"{prefix}.{name}" if prefix else name)
    return keys


def _mask_owner(module: nn.Module, key: str) -> tuple[MaskedModule | None, str]:
    """The masked module and parameter name a ``..._mask`` key belongs to, if any."""
    if not key.endswith("_mask"):
        return None, ""
    prefix, _, buffer_name = key.rpartition(".")
    try:
        owner = module.get_submodule(prefix) if prefix else module
    except AttributeError:
        return None, ""
    name = buffer_name[: -len("_mask")]
    if isinstance(owner, MaskedModule) and name in owner.masked_parameter_names:
        return owner, name
    return None, ""


def _shorten(keys: list[str]) -> str:
    return repr(_shorten_list(keys))


def _shorten_list(items: list[str]) -> list[str]:
    if len(items) <= _SHOWN:
        return items
    return [*items[:_SHOWN], f"... ({len(items) - _SHOWN} more)"]

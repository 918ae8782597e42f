"""The hidden layers of a :class:`~models.dag_network.MaskedDAGNetwork` as one autograd node.

A DAG network's layers all read from and write to one ``(neurons, batch)`` buffer; computing
them with ordinary autograd would record a few nodes per layer (thousands for a deep DAG) and
copy the buffer for every in-place write. :class:`DAGHidden` runs the whole layer program in
one node: the forward is one ``addmm_`` and one in-place activation per layer, the backward is
written by hand (three kernels per layer) from the saved activations. Its gradients are
checked against ``torch.autograd.gradcheck`` and a neuron-by-neuron reference in
``tests/models/test_dag_network.py``.

The network supplies the program (``_program``: rows, columns, input columns and source
window of every layer), the layer and block sizes, ``num_hidden`` and its activation (an
in-place function and its derivative in terms of the output).
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

__all__ = ["DAGHidden"]


class DAGHidden(torch.autograd.Function):
    """Hidden activations ``(neurons, batch)`` of a DAG network, with a hand-written backward.

    Forward: per layer one ``addmm_`` into the bias-filled buffer and one in-place activation.
    Backward: per layer one in-place multiply by σ', one ``mm`` for the weight gradient and one
    ``addmm_`` that sends the gradient to the earlier layers; masking the weight gradient and
    summing the bias gradient are one kernel each for the whole network.
    """

    @staticmethod
    def forward(ctx, x, weight, mask, bias, network):  # noqa: D102
        program = network._program
        masked = weight * mask  # mask: 0/1 in the weight's dtype
        batch = x.shape[0]
        if bias is None:
            hidden = x.new_zeros(network.num_hidden, batch)
        else:
            hidden = bias.unsqueeze(1).expand(-1, batch).contiguous()
        outputs = hidden.split(network._layer_sizes)
        blocks = masked.split(network._block_sizes)
        x_t = x.t()  # (batch, in) -> (in, batch)
        activate = network.activation.inplace
        for (rows, cols, n_in, start, stop), out, flat in zip(
            program, outputs, blocks, strict=True
        ):
            block = flat.view(rows, cols)
            if n_in and stop > start:
                out.addmm_(block[:, :n_in], x_t)
                out.addmm_(block[:, n_in:], hidden[start:stop])
            elif n_in:
                out.addmm_(block, x_t)
            else:
                out.addmm_(block, hidden[start:stop])
            activate(out)
        ctx.network = network
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, masked, mask, hidden)
        return hidden

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_hidden):  # noqa: D102
        x, masked, mask, hidden = ctx.saved_tensors
        network = ctx.network  # the MaskedDAGNetwork whose plan this runs
        program = network._program
        need_x, need_weight, _, need_bias, _ = ctx.needs_input_grad
        # becomes dL/dz, layer by layer from the last one back
        grad = grad_hidden.clone(memory_format=torch.contiguous_format)
        grads_z = grad.split(network._layer_sizes)
        derivative = network.activation.derivative
        if derivative is not None:
            slopes = derivative(hidden).to(hidden.dtype).split(network._layer_sizes)
        blocks = masked.split(network._block_sizes)
        grad_weight = torch.empty_like(masked) if need_weight else None
        grad_blocks = grad_weight.split(network._block_sizes) if need_weight else blocks
        grad_x = torch.zeros_like(x) if need_x else None
        for index in range(len(program) - 1, -1, -1):
            rows, cols, n_in, start, stop = program[index]
            dz = grads_z[index]
            if derivative is not None:
                dz.mul_(slopes[index])
            block = blocks[index].view(rows, cols)
            if stop > start:
                sources = hidden[start:stop]
                hidden_block = block[:, n_in:] if n_in else block
                grad[start:stop].addmm_(hidden_block.t(), dz)
            if need_weight:
                grad_block = grad_blocks[index].view(rows, cols)
                if n_in and stop > start:  # column slices are not contiguous: no out=
                    grad_block[:, :n_in] = dz @ x
                    grad_block[:, n_in:] = dz @ sources.t()
                elif n_in:
                    torch.mm(dz, x, out=grad_block)
                else:
                    torch.mm(dz, sources.t(), out=grad_block)
            if need_x and n_in:
                grad_x.addmm_(dz.t(), block[:, :n_in])
        if need_weight:
            grad_weight.mul_(mask)
        grad_bias = grad.sum(1) if ctx.has_bias and need_bias else None
        return grad_x, grad_weight, None, grad_bias, None

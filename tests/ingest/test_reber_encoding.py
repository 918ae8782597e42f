"""Tests for ingest.reber_encoding: ASCII-code token ids, padding and decoding."""

from __future__ import annotations

import polars as pl
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.reber import generate_non_reber, generate_reber
from ingest.reber_encoding import PAD_ID, PRINTABLE, VOCAB_SIZE, decode, encode, sequence_batches

PRINTABLE_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1)


def _reference_encode(strings):
    width = max(len(s) for s in strings)
    padded = [[ord(c) for c in s] + [0] * (width - len(s)) for s in strings]
    return torch.tensor(padded), torch.tensor([len(s) for s in strings])


def test_encode_matches_reference():
    strings = generate_reber(500, seed=0) + generate_non_reber(500, seed=1)
    strings += ["BCILHJJJJILGE", "B-T X~E"]  # the paper's other capitals, any printable
    padded, lengths = encode(strings)
    want_padded, want_lengths = _reference_encode(strings)
    assert padded.dtype == lengths.dtype == torch.long
    assert torch.equal(padded, want_padded)
    assert torch.equal(lengths, want_lengths)


def test_ids_are_ascii_codes_and_fit_the_vocabulary():
    assert PAD_ID == 0 and VOCAB_SIZE == 128
    padded, _ = encode(["BTXSE"])
    assert padded.tolist() == [[66, 84, 88, 83, 69]]
    every, _ = encode(["".join(map(chr, PRINTABLE))])
    assert every.tolist() == [list(range(32, 127))]
    assert int(every.max()) < VOCAB_SIZE and PAD_ID not in PRINTABLE


@settings(max_examples=200, deadline=None)
@given(st.lists(PRINTABLE_TEXT, min_size=1, max_size=6))
def test_decode_inverts_encode(strings):
    assert decode(*encode(strings)) == strings


def test_encode_accepts_polars_series_and_empty_input():
    strings = ["BTXSE", "BPTVVE"]
    padded, lengths = encode(pl.Series(strings))
    assert torch.equal(padded, _reference_encode(strings)[0])
    empty, empty_lengths = encode([])
    assert empty.shape == (0, 0) and empty_lengths.shape == (0,)


@pytest.mark.parametrize(
    ("strings", "match"),
    [
        (["BTXSE", "BT\tSE"], r"strings\[1\] = 'BT\\tSE' holds '\\t'"),
        (["BTXSE", "BTXSE", "BT€"], r"strings\[2\].*'€'.*printable ASCII"),
        (["BTXSE", ""], r"empty string \(strings\[1\]\)"),
    ],
)
def test_encode_rejects_bad_strings(strings, match):
    with pytest.raises(ValueError, match=match):
        encode(strings)


def test_encode_rejects_non_strings():
    with pytest.raises(TypeError, match="single str"):
        encode("BTXSE")
    with pytest.raises(TypeError, match=r"strings\[1\] is 3"):
        encode(["BTXSE", 3])


def test_decode_rejects_bad_batches():
    with pytest.raises(ValueError, match="decode expects"):
        decode(torch.zeros(3, dtype=torch.long), torch.tensor([1, 1, 1]))
    with pytest.raises(ValueError, match="row 0 holds token 0"):
        decode(torch.tensor([[66, 0]]), torch.tensor([2]))
    with pytest.raises(ValueError, match="row 0 has length 3"):
        decode(torch.tensor([[66, 69]]), torch.tensor([3]))


def test_batches_by_length_hold_every_sequence_once_shortest_first_and_cut_short():
    strings = ["BTXSE", "BPVVE", "BT", "BTSSXXTVVE", "BPE", "BTXXVPSE", "BPVPXVPXVPXVVE"]
    tokens, lengths = encode(strings)
    labels = torch.arange(len(strings))
    batches = list(sequence_batches((tokens, lengths, labels), 3, by_length=True))
    seen = [strings[i] for _, _, batch_labels in batches for i in batch_labels.tolist()]
    assert seen == sorted(strings, key=len)  # stable: "BTXSE" before "BPVVE"
    for batch_tokens, batch_lengths, batch_labels in batches:
        assert batch_tokens.shape[1] == int(batch_lengths.max())
        assert decode(batch_tokens, batch_lengths) == [strings[i] for i in batch_labels.tolist()]
    with pytest.raises(ValueError, match="either a shuffling 'order' or 'by_length'"):
        next(sequence_batches((tokens, lengths, labels), 3, torch.Generator(), by_length=True))

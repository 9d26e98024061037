#!/usr/bin/env python3
"""Writes the gguf fuzz target's seeds (scripts/fuzz runs it; model files are not kept in git): tiny llama-architecture models (width 32, one layer) that
Parley loads and runs, one with a byte-level BPE vocabulary and one with a SentencePiece one, their
matrices in F32, F16, Q8_0 and Q4_1, so that mutations start from files that reach the forward pass.

    python3 Tests/FuzzCorpus/make-gguf-seeds.py .build/fuzz-seeds/gguf
"""
import os
import random
import struct
import sys

STRING, UINT32, INT32, FLOAT32, BOOL, ARRAY = 8, 4, 5, 6, 7, 9
F32, F16, Q4_1, Q8_0 = 0, 1, 3, 8


def text(s):
    data = s.encode()
    return struct.pack("<Q", len(data)) + data


def value(kind, v):
    if kind == STRING:
        return text(v)
    if kind in (UINT32, INT32):
        return struct.pack("<I" if kind == UINT32 else "<i", v)
    if kind == FLOAT32:
        return struct.pack("<f", v)
    if kind == BOOL:
        return struct.pack("<B", v)
    element, items = v
    return struct.pack("<IQ", element, len(items)) + b"".join(value(element, item) for item in items)


def tensor_bytes(kind, rows, columns, rng):
    values = [rng.uniform(-0.5, 0.5) for _ in range(rows * columns)]
    if kind == F32:
        return struct.pack("<%df" % len(values), *values)
    if kind == F16:
        return struct.pack("<%de" % len(values), *values)
    out = b""
    for start in range(0, len(values), 32):
        block = values[start:start + 32]
        if kind == Q8_0:
            scale = max(abs(v) for v in block) / 127 or 1
            out += struct.pack("<e", scale) + bytes((round(v / scale) & 0xFF) for v in block)
        else:  # Q4_1
            low, high = min(block), max(block)
            scale = (high - low) / 15 or 1
            q = [min(15, max(0, round((v - low) / scale))) for v in block]
            out += struct.pack("<ee", scale, low) + bytes(q[i] | q[i + 16] << 4 for i in range(16))
    return out


def model(tokenizer):
    rng = random.Random(7)
    width, ffn = 32, 32
    if tokenizer == "gpt2":
        tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
        tokens += ["Ġ", ",", "!", "H", "W", "he", "ll", "hell", "hello", "Ġw", "or", "ld"]
        types = [3, 3, 3] + [1] * (len(tokens) - 3)
        extra = [("tokenizer.ggml.merges", ARRAY, (STRING, ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "l d"])),
                 ("tokenizer.ggml.pre", STRING, "smollm")]
    else:
        tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + ["▁", "▁hello", "▁world", "lo", "he", ","]
        types = [2, 3, 3] + [6] * 256 + [1] * 6
        extra = [("tokenizer.ggml.scores", ARRAY, (FLOAT32, [0.0] * 259 + [-1.0, -2.0, -2.0, -3.0, -3.0, -4.0]))]
    metadata = [
        ("general.architecture", STRING, "llama"),
        ("llama.block_count", UINT32, 1),
        ("llama.embedding_length", UINT32, width),
        ("llama.feed_forward_length", UINT32, ffn),
        ("llama.attention.head_count", UINT32, 4),
        ("llama.attention.head_count_kv", UINT32, 2),
        ("llama.context_length", UINT32, 64),
        ("llama.rope.freq_base", FLOAT32, 10000.0),
        ("llama.attention.layer_norm_rms_epsilon", FLOAT32, 1e-5),
        ("tokenizer.ggml.model", STRING, tokenizer),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
        ("tokenizer.ggml.token_type", ARRAY, (INT32, types)),
        ("tokenizer.ggml.bos_token_id", UINT32, 1),
        ("tokenizer.ggml.eos_token_id", UINT32, 2),
    ] + extra
    kv = width // 2
    tensors = [
        ("token_embd.weight", [width, len(tokens)], F16),
        ("blk.0.attn_norm.weight", [width], F32),
        ("blk.0.attn_q.weight", [width, width], Q8_0),
        ("blk.0.attn_k.weight", [width, kv], Q4_1),
        ("blk.0.attn_v.weight", [width, kv], Q8_0),
        ("blk.0.attn_output.weight", [width, width], Q4_1),
        ("blk.0.ffn_norm.weight", [width], F32),
        ("blk.0.ffn_gate.weight", [width, ffn], Q4_1),
        ("blk.0.ffn_up.weight", [width, ffn], Q8_0),
        ("blk.0.ffn_down.weight", [ffn, width], F32),
        ("output_norm.weight", [width], F32),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    header += b"".join(text(key) + struct.pack("<I", kind) + value(kind, v) for key, kind, v in metadata)
    data, infos = b"", b""
    for name, dims, kind in tensors:
        rows = dims[1] if len(dims) > 1 else 1
        blob = tensor_bytes(kind, rows, dims[0], rng)
        infos += text(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", kind, len(data))
        data += blob + b"\0" * (-len(blob) % 32)
    body = header + infos
    return body + b"\0" * (-len(body) % 32) + data


folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
for tokenizer in ("gpt2", "llama"):
    with open(os.path.join(folder, "tiny-%s.gguf" % tokenizer), "wb") as out:
        out.write(model(tokenizer))

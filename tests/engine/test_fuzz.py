"""Mutated JPEGs never crash or hang the engine: each one decodes or raises a named error.

The loop runs in a subprocess so that a crash (a segfault in C++) fails this test
with its exit status instead of killing the test session.
"""

import subprocess
import sys
import textwrap

import pytest

from fastssl import _ext

pytestmark = pytest.mark.skipif(not _ext.cpp_extension().available, reason="fastssl._C not built")

FUZZ = textwrap.dedent(
    """
    import io, os, sys, numpy as np
    from PIL import Image
    from fastssl.jpeg import decode_jpeg
    from fastssl.errors import ImageDecodeError
    from fastssl.data.backends.cpp import CppRenderer
    from fastssl.transforms import SimCLRTransform

    folder = sys.argv[1]
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:90, 0:120]
    base = np.stack([x * 2, y * 2, (x + y)], axis=-1).astype(np.uint8)
    seeds = []
    for kwargs in [dict(quality=85), dict(quality=90, progressive=True), dict(quality=95, subsampling=0)]:
        buffer = io.BytesIO()
        Image.fromarray(base).save(buffer, "JPEG", **kwargs)
        seeds.append(buffer.getvalue())
    buffer = io.BytesIO()
    Image.fromarray(base).convert("CMYK").save(buffer, "JPEG")
    seeds.append(buffer.getvalue())

    def mutate(data):
        data = bytearray(data)
        kind = rng.integers(0, 4)
        if kind == 0:  # flip bytes anywhere, headers included
            for i in rng.integers(0, len(data), rng.integers(1, 12)):
                data[i] = rng.integers(0, 256)
        elif kind == 1:  # truncate
            data = data[: rng.integers(0, len(data))]
        elif kind == 2:  # splice garbage in
            at = rng.integers(0, len(data))
            data[at:at] = rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8).tobytes()
        else:  # overwrite a run with 0xFF (fake markers)
            at = rng.integers(0, len(data))
            data[at : at + rng.integers(1, 16)] = b"\\xff" * 8
        return bytes(data)

    outcomes = {"ok": 0, "error": 0}
    paths = []
    for i in range(300):
        data = mutate(seeds[i % len(seeds)])
        try:
            decode_jpeg(data)
            outcomes["ok"] += 1
        except ImageDecodeError:
            outcomes["error"] += 1
        path = os.path.join(folder, f"m{i}.jpg")
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    renderer = CppRenderer(SimCLRTransform(input_size=32).spec, paths, folder, num_threads=2, on_error="skip")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, len(paths), 50):
            batch = renderer.render(list(range(start, start + 50)), epoch=0)
            assert all(np.isfinite(v.numpy()).all() for v in batch.views)
    print(outcomes["ok"], outcomes["error"])
    """
)


def test_mutated_jpegs_decode_or_raise(tmp_path):
    result = subprocess.run([sys.executable, "-c", FUZZ, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr[-3000:]}"
    ok, errors = map(int, result.stdout.split())
    assert ok + errors == 300 and errors > 50  # most mutations are caught as errors, none crashed

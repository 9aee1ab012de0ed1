"""Each engine op against its Pillow counterpart, as torchvision applies it to PIL images.

The engine mirrors Pillow's integer and float arithmetic, so the expected difference is zero.
"""

import numpy as np
import pytest
import torchvision.transforms.functional as F
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from fastssl import _ext

pytestmark = pytest.mark.skipif(not _ext.cpp_extension().available, reason="fastssl._C not built")

INTERPOLATIONS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


@pytest.fixture(scope="module")
def ops():
    return _ext.optional_module("fastssl._C").ops


@pytest.fixture(scope="module", params=[(57, 83, 0), (31, 20, 1), (1, 7, 2)], ids=lambda p: f"{p[0]}x{p[1]}")
def image(request):
    """Noise smoothed a little so every op sees both flat areas and edges."""
    height, width, seed = request.param
    noise = (np.random.default_rng(seed).random((height, width, 3)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(noise).filter(ImageFilter.GaussianBlur(1.5)))


def assert_equal(ours, reference):
    reference = np.asarray(reference)
    assert ours.shape == reference.shape
    diff = np.abs(ours.astype(int) - reference.astype(int))
    assert diff.max() == 0, f"{(diff > 0).sum()} pixels differ, max {diff.max()}"


@pytest.mark.parametrize("interpolation", sorted(INTERPOLATIONS))
@pytest.mark.parametrize("box_fraction,size", [((0.1, 0.1, 0.85, 0.9), (24, 31)), ((0, 0, 1, 1), (100, 120)),
                                                ((0.2, 0.05, 0.5, 0.95), (50, 3))], ids=["shrink", "enlarge", "mixed"])
def test_crop_resize(ops, image, interpolation, box_fraction, size):
    h, w, _ = image.shape
    box = (int(box_fraction[0] * w), int(box_fraction[1] * h), max(1, int(box_fraction[2] * w)),
           max(1, int(box_fraction[3] * h)))
    box = (min(box[0], box[2] - 1), min(box[1], box[3] - 1), box[2], box[3])
    reference = Image.fromarray(image).crop(box).resize((size[1], size[0]), INTERPOLATIONS[interpolation])
    pillow13 = _ext.pillow_resize_pass_order() == "pillow13"
    for kernel in ops.kernel_levels():
        assert_equal(ops.resample(image, box, size[0], size[1], interpolation, pillow13, kernel), reference)
    assert_equal(ops.resample(image, box, size[0], size[1], interpolation, pillow13, transposed_source=True), reference)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_crop_resize_every_small_shape(ops, interpolation):
    """Random images, boxes and output sizes from 1 to 40 pixels: the resampler transposes pixels in
    4x4 blocks away from the edges and one by one along them (or in 16x16 tiles cut short under
    masks), and its kernels take rows in blocks
    of 16 to 64 bytes and the rest under masks or one by one, so every size modulo 4 matters."""
    pillow13 = _ext.pillow_resize_pass_order() == "pillow13"
    rng = np.random.default_rng(11)
    for _ in range(300):
        height, width, out_h, out_w = (int(v) for v in rng.integers(1, 41, size=4))
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = (x0, y0, int(rng.integers(x0 + 1, width + 1)), int(rng.integers(y0 + 1, height + 1)))
        reference = Image.fromarray(image).crop(box).resize((out_w, out_h), INTERPOLATIONS[interpolation])
        for kernel in ops.kernel_levels():
            assert_equal(ops.resample(image, box, out_h, out_w, interpolation, pillow13, kernel), reference)
        assert_equal(ops.resample(image, box, out_h, out_w, interpolation, pillow13, transposed_source=True), reference)


def test_transpose_every_small_shape(ops):
    """Every shape up to 40 x 40 and a photo-sized one: the kernels move 4x4 blocks with the edges
    pixel by pixel, or 16x16 tiles whose last ones are cut short under masks."""
    rng = np.random.default_rng(5)
    shapes = [(h, w) for h in range(1, 41) for w in range(1, 41)] + [(375, 500)]
    for height, width in shapes:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        for kernel in ops.kernel_levels():
            assert_equal(ops.transpose(image, kernel), image.transpose(1, 0, 2))


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_resize_pass_order_follows_installed_pillow(ops, interpolation):
    """Shapes on both sides of Pillow 13's rule: vertical first iff the height shrinks by > 2x the width's pixels."""
    pillow13 = _ext.pillow_resize_pass_order() == "pillow13"
    rng = np.random.default_rng(3)
    for (width, height), (out_w, out_h) in [((70, 51), (69, 42)), ((200, 200), (130, 50)), ((200, 200), (125, 50)),
                                            ((34, 45), (24, 24)), ((90, 40), (60, 90)), ((120, 200), (160, 20))]:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        reference = Image.fromarray(image).resize((out_w, out_h), INTERPOLATIONS[interpolation])
        assert_equal(ops.resample(image, (0, 0, width, height), out_h, out_w, interpolation, pillow13), reference)


BLENDS_WITH_CONSTANT = [("adjust_brightness", ImageEnhance.Brightness), ("adjust_contrast", ImageEnhance.Contrast)]


@pytest.mark.parametrize("factor", [0.0, 0.2, 0.9, 1.0, 1.35, 1.8])
@pytest.mark.parametrize("name,enhancer", BLENDS_WITH_CONSTANT)
def test_blend_with_constant(ops, image, name, enhancer, factor):
    reference = enhancer(Image.fromarray(image)).enhance(factor)
    for kernel in ops.kernel_levels():
        assert_equal(getattr(ops, name)(image, factor, kernel), reference)


@pytest.mark.parametrize("factor", [0.0, 0.37, 0.999, 1.0, 1.21, 2.5])
@pytest.mark.parametrize("name,enhancer", BLENDS_WITH_CONSTANT)
def test_blend_with_constant_of_every_byte(ops, name, enhancer, factor):
    """Every byte value in every channel (the byte-table kernel looks each one up), 17 x 23 pixels
    so that the kernels' 64-byte blocks end in a partial one."""
    values = np.arange(17 * 23) % 256
    image = np.stack([values, 255 - values, values * 7 % 256], axis=-1).astype(np.uint8).reshape(17, 23, 3)
    reference = enhancer(Image.fromarray(image)).enhance(factor)
    for kernel in ops.kernel_levels():
        assert_equal(getattr(ops, name)(image, factor, kernel), reference)


@pytest.mark.parametrize("factor", [0.0, 0.2, 0.9, 1.0, 1.35, 1.8])
def test_saturation(ops, image, factor):
    assert_equal(ops.adjust_saturation(image, factor), ImageEnhance.Color(Image.fromarray(image)).enhance(factor))


@pytest.mark.parametrize("hue", [-0.5, -0.31, -0.013, 0.0, 0.1, 0.37, 0.5])
def test_hue(ops, image, hue):
    reference = F.adjust_hue(Image.fromarray(image), hue)
    for kernel in ops.kernel_levels():
        assert_equal(ops.adjust_hue(image, hue, kernel), reference)


@pytest.fixture(scope="module")
def every_color():
    """All 2^24 colors as one 4096 x 4096 image."""
    colors = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([colors >> 16, (colors >> 8) & 255, colors & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)


@pytest.mark.parametrize("hue", [0.0, -0.013, 0.37])
def test_hue_of_every_color(ops, every_color, hue):
    """The hue kernels replace Pillow's float steps with exact fractions and the set of whole
    quotients that Pillow rounds down; every color, through every kernel this CPU runs, proves
    them equal."""
    reference = np.asarray(F.adjust_hue(Image.fromarray(every_color), hue))
    assert ops.kernel_levels()[-1] == "baseline"
    for kernel in ops.kernel_levels():
        differ = (ops.adjust_hue(every_color, hue, kernel) != reference).any(axis=-1)
        assert not differ.any(), f"{kernel}: {differ.sum()} colors differ, the first {every_color[differ][:3].tolist()}"


def test_kernel_levels_by_name(ops, image):
    with pytest.raises(ValueError, match="no kernel level 'avx9' for this CPU; it runs: .*'baseline'"):
        ops.adjust_hue(image, 0.1, "avx9")
    with pytest.raises(ValueError, match="no kernel level 'avx9'"):
        ops.adjust_contrast(image, 0.5, "avx9")
    with pytest.raises(ValueError, match="no kernel level 'avx9'"):
        ops.resample(image, (0, 0, 1, 1), 4, 4, "bilinear", False, "avx9")
    with pytest.raises(ValueError, match="no kernel level 'avx9'"):
        ops.transpose(image, "avx9")
    with pytest.raises(ValueError, match="no kernel level 'avx9'"):
        ops.gaussian_blur(image, 1.0, "avx9")


@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.0, 1.7, 2.0, 3.0, 4.0, 6.5, 80.0])
def test_gaussian_blur(ops, image, sigma):
    """Through every kernel level; sigma 80 has a radius of 79, past what 16-bit column sums hold."""
    reference = Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius=sigma))
    for kernel in ops.kernel_levels():
        assert_equal(ops.gaussian_blur(image, sigma, kernel), reference)


@pytest.mark.parametrize("shape", [(5, 130), (70, 64), (33, 201)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_gaussian_blur_wide_rows(ops, shape):
    """Rows of whole and partial 64-byte blocks, which the 16-bit column kernel sums side by side."""
    image = np.random.default_rng(9).integers(0, 256, (*shape, 3), dtype=np.uint8)
    for sigma in (0.3, 1.1, 1.9, 9.0):
        reference = Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius=sigma))
        for kernel in ops.kernel_levels():
            assert_equal(ops.gaussian_blur(image, sigma, kernel), reference)


@pytest.mark.parametrize("threshold", [0, 128, 200, 256])
def test_solarize(ops, image, threshold):
    assert_equal(ops.solarize(image, threshold), ImageOps.solarize(Image.fromarray(image), threshold))


def test_grayscale(ops, image):
    assert_equal(ops.to_grayscale(image), Image.fromarray(image).convert("L").convert("RGB"))


def test_bad_arguments(ops, image):
    with pytest.raises(ValueError, match="interpolation must be nearest, bilinear or bicubic, got 'area'"):
        ops.resample(image, (0, 0, 1, 1), 4, 4, "area")
    with pytest.raises(ValueError, match="box must lie inside the image"):
        ops.resample(image, (0, 0, image.shape[1] + 1, 1), 4, 4, "bilinear")
    with pytest.raises(ValueError, match=r"expected a non-empty \(H, W, 3\) uint8 array"):
        ops.to_grayscale(np.zeros((4, 4), np.uint8))

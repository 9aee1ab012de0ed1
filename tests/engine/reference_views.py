"""The reference path's rendering of one view for given parameters (torchvision on PIL)."""

import numpy as np
import torch
import torchvision.transforms.functional as F
import torchvision.transforms.v2.functional as F2
from PIL import ImageFilter, ImageOps

INTERPOLATION = {"nearest": F.InterpolationMode.NEAREST, "bilinear": F.InterpolationMode.BILINEAR,
                 "bicubic": F.InterpolationMode.BICUBIC}


def reference_view(image, params, view, output="float32"):
    """What RandomResizedCrop + the spec's ops + ToTensor + Normalize give for ``params``."""
    x0, y0, x1, y1 = params["box"]
    pil = F.resized_crop(image, y0, x0, y1 - y0, x1 - x0, [view["height"], view["width"]],
                         INTERPOLATION[view["interpolation"]])
    for op in params["ops"]:
        kind = op["kind"]
        if kind == "hflip":
            pil = F.hflip(pil)
        elif kind == "vflip":
            pil = F.vflip(pil)
        elif kind == "color_jitter":
            for name, factor in op["adjustments"]:
                pil = getattr(F, f"adjust_{name}")(pil, factor)
        elif kind == "grayscale":
            pil = F.rgb_to_grayscale(pil, num_output_channels=3)
        elif kind == "blur":
            pil = pil.filter(ImageFilter.GaussianBlur(radius=op["sigma"]))
        elif kind == "solarize":
            pil = ImageOps.solarize(pil, op["threshold"])
    chw = torch.from_numpy(np.array(pil, dtype=np.uint8)).permute(2, 0, 1).contiguous()
    if output == "uint8":
        return chw
    out = F2.to_dtype(chw, torch.float32, scale=True)
    return F2.normalize(out, view["mean"], view["std"]) if view.get("mean") is not None else out

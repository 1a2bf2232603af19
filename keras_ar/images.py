"""Writing samples as a PNG grid."""

import numpy as np


def image_grid(images, columns=8, padding=1, scale=4):
    """`(N, H, W)` ink values in [0, 1] (1 = ink, drawn dark) -> one `(rows*(H+p), columns*(W+p))` uint8 array."""
    images = np.asarray(images, dtype="float32")
    count, height, width = images.shape
    rows = -(-count // columns)
    # dark ink on white paper, grey frames
    grid = np.full((rows * (height + padding) + padding, columns * (width + padding) + padding), 0.6)
    for index, image in enumerate(images):
        r, c = divmod(index, columns)
        top, left = padding + r * (height + padding), padding + c * (width + padding)
        grid[top : top + height, left : left + width] = 1.0 - image
    grid = (np.clip(grid, 0, 1) * 255).astype("uint8")
    return np.kron(grid, np.ones((scale, scale), dtype="uint8"))


def save_image_grid(path, images, columns=8, scale=4):
    """Saves `(N, H, W)` images in [0, 1] as a PNG grid (needs Pillow)."""
    from PIL import Image

    Image.fromarray(image_grid(images, columns=columns, scale=scale), mode="L").save(path)
    return path

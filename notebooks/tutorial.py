"""The first and last cell of every tutorial notebook: mode, quiet logs, seed, figures, timing.

    from tutorial import Tutorial
    tutorial = Tutorial("01_fvsbn_nade")  # quick mode unless KERAS_AR_FULL=1 (or full=True)
    FULL, show = tutorial.full, tutorial.show
    ...
    tutorial.finish()  # wall-clock and CPU time of the kernel

It must be created before Keras is imported: it picks the backend (TensorFlow unless
KERAS_BACKEND says otherwise) and quiets TensorFlow's C++ logs.
"""

import os
import sys
import time
from pathlib import Path


class Tutorial:
    def __init__(self, name, full=None, seed=0):
        if full is None:
            full = os.environ.get("KERAS_AR_FULL", "0") == "1"
        self.name, self.full = name, bool(full)
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            import keras_ar
        except ImportError:  # a source checkout without `pip install -e .`: use the repo root
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            import keras_ar
        import keras

        keras.utils.set_random_seed(seed)
        # Optional: a folder where every figure is also written as a PNG (used by CI and docs).
        self.figures = os.environ.get("KERAS_AR_FIGURES")
        self.started = time.time()
        print(f"{self.mode.upper()} mode | keras-ar {keras_ar.__version__} | "
              f"keras {keras.__version__} ({keras.backend.backend()} backend)")

    @property
    def mode(self):
        return "full" if self.full else "quick"

    def show(self, fig, name):
        """Displays `fig` (and saves it as <KERAS_AR_FIGURES>/<notebook>_<name>.png if set)."""
        import matplotlib.pyplot as plt

        fig.tight_layout()
        if self.figures:
            Path(self.figures).mkdir(parents=True, exist_ok=True)
            fig.savefig(Path(self.figures) / f"{self.name}_{name}.png", dpi=100)
        plt.show()

    def binary_images(self, quick_train=5000):
        """(train, valid, test, name, image_shape): binarized MNIST, or the embedded 8x8
        digits (binarized) when its file is absent; the test split shuffled with a fixed
        seed (the MNIST file is sorted by class), and slices of it all in quick mode."""
        import numpy as np

        from keras_ar import datasets

        splits = ("train", "valid", "test")
        try:
            train, valid, test = [datasets.load("binarized_mnist", s) for s in splits]
            name, image_shape = "binarized MNIST", (28, 28)
        except datasets.DatasetNotFoundError as err:
            print("note: binarized_mnist.npz was not found, so this run uses the embedded 8x8 digits")
            print("      (scikit-learn's digits, binarized) instead. " + str(err).splitlines()[0])
            train, valid, test = [datasets.load("digits", s) for s in splits]
            name, image_shape = "8x8 digits", (8, 8)
        test = test[np.random.default_rng(0).permutation(len(test))]
        if not self.full:
            train, valid, test = train[:quick_train], valid[:1000], test[:1000]
        return train, valid, test, name, image_shape

    def show_images(self, ax, images, image_shape, columns=10, title=None):
        """`(N, n)` values in [0, 1] as one grid on `ax`, ink dark on white paper (0.5: grey)."""
        import numpy as np

        from keras_ar.images import image_grid

        grid = image_grid(np.asarray(images).reshape(-1, *image_shape), columns=columns, scale=1)
        ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_axis_off()
        if title:
            ax.set_title(title)

    def finish(self):
        """Prints the wall-clock time, and the CPU time of this kernel (all threads; less
        sensitive to a busy machine)."""
        print(f"{self.name}: ran in {time.time() - self.started:.0f} s wall-clock, "
              f"{time.process_time():.0f} s CPU ({self.mode} mode)")

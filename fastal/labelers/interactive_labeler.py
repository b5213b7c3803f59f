"""Oracle that shows a sample as an image and asks a person for its label."""
import math

import numpy as np

from fastal.base.interfaces import Labeler
from fastal.utils import inherit_docstring_from

__all__ = ["InteractiveLabeler"]


def _as_image(feature):
    """The feature as a 2-D array for ``imshow``.

    A 2-D feature (libact's digits example passes ``row.reshape(8, 8)``) is
    shown as it is; a flat one of square length as that square, row by row;
    any other flat one as a single row of pixels.
    """
    image = np.asarray(feature, dtype=float)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4)):
        return image
    image = image.ravel()
    side = math.isqrt(image.size)
    if side > 1 and side * side == image.size:
        return image.reshape(side, side)
    return image.reshape(1, -1)


def _shows_windows():
    """Whether pyplot's backend draws on screen (not a file-only one such as Agg)."""
    import matplotlib
    backend = matplotlib.get_backend().lower()
    try:
        from matplotlib.backends import BackendFilter, backend_registry
        file_only = backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE)
    except ImportError:          # matplotlib < 3.9
        from matplotlib import rcsetup
        file_only = rcsetup.non_interactive_bk
    return backend not in {b.lower() for b in file_only} and "inline" not in backend


class InteractiveLabeler(Labeler):
    """Shows the sample as an image and reads its label from standard input (libact's).

    As libact's, ``label(feature)`` draws the feature with matplotlib
    (``imshow``, gray colormap, nearest interpolation) and then prompts
    ``Enter the associated label with the image:`` followed by the label
    names; an answer that is not one of them is refused with ``Invalid
    label, please re-enter the associated label.`` and asked again.

    Parameters
    ----------
    label_name : list of str, optional, keyword only
        Accepted answers; the returned label is the answer's index in this list.
        Without it the typed text is returned as is (libact fails there).

    Notes
    -----
    A 2-D feature (an 8 x 8 digit, say) is shown as it is, as libact shows
    it; a flat feature vector of square length (64 pixels) is shown as that
    square, and any other flat vector as one row of pixels, where libact's
    ``imshow`` would reject it.  On a screen backend the figure is shown
    without blocking before the prompt; with a file-only backend (Agg) it is
    only drawn.
    """

    def __init__(self, *, label_name=None):
        self.label_name = label_name

    @inherit_docstring_from(Labeler)
    def label(self, feature):
        import matplotlib.pyplot as plt

        previous = getattr(self, "_image", None)
        if previous is not None and previous.axes is not None:
            previous.remove()              # one image at a time, not a pile of them
        self._image = plt.imshow(_as_image(feature), cmap=plt.cm.gray_r,
                                 interpolation="nearest")
        plt.draw()
        if _shows_windows():
            plt.show(block=False)
            plt.pause(0.001)
        banner = "Enter the associated label with the image: "
        if self.label_name:
            banner += str(self.label_name) + " "
        answer = input(banner).strip()
        while self.label_name and answer not in self.label_name:
            print("Invalid label, please re-enter the associated label.")
            answer = input(banner).strip()
        return self.label_name.index(answer) if self.label_name else answer

"""Oracle that asks a person on standard input."""
import numpy as np

from fastal.base.interfaces import Labeler
from fastal.utils import inherit_docstring_from

__all__ = ["InteractiveLabeler"]


class InteractiveLabeler(Labeler):
    """Shows the row and reads its label from standard input.

    Parameters
    ----------
    label_name : list of str, optional, keyword only
        Accepted answers; the returned label is the answer's index in this list.
        Without it the typed text is returned as is.
    """

    def __init__(self, *, label_name=None):
        self.label_name = label_name

    @inherit_docstring_from(Labeler)
    def label(self, feature):
        print(np.asarray(feature))
        if self.label_name:
            prompt = f"Enter the label for the sample above ({', '.join(map(str, self.label_name))}): "
        else:
            prompt = "Enter the label for the sample above: "
        answer = input(prompt).strip()
        while self.label_name and answer not in self.label_name:
            answer = input(f"Invalid label, choose one of {list(self.label_name)}: ").strip()
        return self.label_name.index(answer) if self.label_name else answer

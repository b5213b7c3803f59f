"""InteractiveLabeler shows the sample with matplotlib and prompts as libact's does."""
import builtins

import matplotlib
import numpy as np
import pytest

from fastal.labelers import InteractiveLabeler

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BANNER = "Enter the associated label with the image: "


@pytest.fixture
def answers(monkeypatch):
    """Feed answers to input() and record the prompts it was given."""
    prompts, queue = [], []

    def fake_input(prompt=""):
        prompts.append(prompt)
        return queue.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    yield queue, prompts
    plt.close("all")


def shown():
    images = plt.gca().get_images()
    assert len(images) == 1
    return images[0]


def test_digit_reshaped_as_in_libacts_example_is_shown_then_labeled(answers, capsys):
    queue, prompts = answers
    queue.extend(["7"])
    digit = np.arange(64, dtype=float).reshape(8, 8) / 63
    names = [str(d) for d in range(10)]
    assert InteractiveLabeler(label_name=names).label(digit) == 7
    image = shown()
    np.testing.assert_array_equal(image.get_array(), digit)
    assert image.get_cmap().name == "gray_r"
    assert image.get_interpolation() == "nearest"
    assert prompts == [BANNER + str(names) + " "]
    assert capsys.readouterr().out == ""          # the sample is a picture, not printed


def test_flat_vector_of_square_length_is_shown_as_a_square(answers):
    queue, _ = answers
    queue.append("b")
    row = np.linspace(0.0, 1.0, 16)
    assert InteractiveLabeler(label_name=["a", "b"]).label(row) == 1
    np.testing.assert_array_equal(shown().get_array(), row.reshape(4, 4))


def test_other_flat_vectors_are_one_row_of_pixels(answers):
    queue, _ = answers
    queue.append("b")
    InteractiveLabeler(label_name=["a", "b"]).label([0.0, 1.0, 2.0])
    assert shown().get_array().shape == (1, 3)


def test_invalid_answer_is_refused_and_asked_again(answers, capsys):
    queue, prompts = answers
    queue.extend(["cow", " dog "])
    assert InteractiveLabeler(label_name=["cat", "dog"]).label([[0.0, 1.0], [1.0, 0.0]]) == 1
    assert capsys.readouterr().out == "Invalid label, please re-enter the associated label.\n"
    assert prompts == [BANNER + "['cat', 'dog'] "] * 2


def test_without_label_names_the_answer_is_returned(answers):
    queue, prompts = answers
    queue.append("spam")
    assert InteractiveLabeler().label(np.zeros((2, 2))) == "spam"
    assert prompts == [BANNER]


def test_each_sample_replaces_the_previous_image(answers):
    queue, _ = answers
    queue.extend(["a", "a", "a"])
    labeler = InteractiveLabeler(label_name=["a"])
    for value in (0.0, 0.5, 1.0):
        labeler.label(np.full((3, 3), value))
    np.testing.assert_array_equal(shown().get_array(), np.full((3, 3), 1.0))

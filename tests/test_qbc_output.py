"""QueryByCommittee prints nothing on stdout; re-drawn bootstrap bags are a warning."""
import warnings

import numpy as np
import pytest

from fastal.base.dataset import Dataset
from fastal.models import LogisticRegression
from fastal.query_strategies import QueryByCommittee


def pool(n_labels_each=1):
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(c, 0.3, size=(20, 2)) for c in range(4)])
    y = [None] * len(X)
    for c in range(4):
        for i in range(n_labels_each):
            y[20 * c + i] = c
    return Dataset(X, y)


def test_query_prints_nothing_and_warns_about_redrawn_bags(capfd):
    ds = pool()          # one label per class: most bootstrap bags miss a class
    with pytest.warns(UserWarning, match=r"QueryByCommittee: bootstrap bags that missed one "
                                         r"of the 4 labels were drawn again \(\d+ re-draws?\)"):
        qs = QueryByCommittee(ds, models=[LogisticRegression(), LogisticRegression()],
                              random_state=1)
        ask = qs.make_query()
        ds.update(ask, 0)
        qs.make_query(n_instances=3)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert "re-sample" not in captured.err


def test_no_warning_when_every_bag_holds_every_label(capfd):
    ds = pool(n_labels_each=15)     # a bag of 60 draws misses a class with probability < 1e-7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qs = QueryByCommittee(ds, models=[LogisticRegression(), LogisticRegression()],
                              random_state=0)
        qs.make_query()
    assert capfd.readouterr().out == ""

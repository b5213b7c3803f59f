r"""Active learning by learning (libact's ``ActiveLearningByLearning``).

Hsu & Lin, "Active Learning by Learning", AAAI 2015: the query strategies are
the arms of an Exp4.P bandit (Beygelzimer et al., AISTATS 2011) whose reward
is the importance-weighted accuracy of a model on the rows queried so far.

One round of Exp4.P with arms ``i = 1..K`` (the strategies, plus a uniform
sampler unless ``uniform_sampler=False``), weights ``w`` (start at 1) and
``pmin`` (default ``sqrt(ln K / (K T))``):

* arm probabilities ``p = (1 - K pmin) w / sum(w) + pmin``;
* advice: arm i puts mass 1 on the row its strategy's ``make_query()``
  returns, the uniform arm ``1/n`` on each of the n rows that were unlabeled
  when ALBL was built; the query distribution is ``q = p . advice``;
* a row is drawn from ``q``; once it is labeled, the reward is
  ``r = sum_j W_j [model(x_j) == y_j] / (n_rows T)`` over every queried row j
  with ``W_j = 1 / q_j`` at its draw (the model trained on all labeled rows);
* ``w_i *= exp(pmin / 2 (r advice_i(x) / q(x) + sqrt(ln(K / delta) / (K T)) / p_i))``
  for the row x drawn last.
"""
import copy

import numpy as np

from fastal.base.interfaces import QueryStrategy
from fastal.models._auto import as_model
from fastal.query_strategies._selection import answer, check_n_instances
from fastal.utils import seed_random_state
from fastal.utils.signatures import KeywordChecked

__all__ = ["ActiveLearningByLearning", "Exp4P"]
OUT_OF_BUDGET = "Out of query budget"


class Exp4P(KeywordChecked):
    r"""The Exp4.P bandit of ALBL: one arm per query strategy, expert advice the identity.

    Parameters
    ----------
    query_strategies : list of QueryStrategy (required)
        The arms; each round asks every one of them for ``make_query()``.
    unlabeled_invert_id_idx : dict (required)
        Entry id -> position in the query vector, for the rows that can be drawn.
    T : int, default 100
        Number of rounds.
    delta : float, default 0.1
    pmin : float, default ``sqrt(ln N / (K T))``
    uniform_sampler : bool, default True
        Add an arm that draws uniformly among the rows of
        ``unlabeled_invert_id_idx``.

    Attributes
    ----------
    N, K : int
        Number of arms.
    w : ndarray (N,)
        Arm weights.
    t : int
        Rounds started so far.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies import RandomSampling
    >>> ds = Dataset(np.arange(8.0).reshape(4, 2), [None, None, None, None])
    >>> bandit = Exp4P(query_strategies=[RandomSampling(ds, random_state=0)], T=5,
    ...                unlabeled_invert_id_idx={i: i for i in range(4)})
    >>> bandit.next(-1, None, None).round(3).tolist()
    [0.625, 0.125, 0.125, 0.125]
    """

    def __init__(self, *, query_strategies, uniform_sampler=True, T=100, delta=0.1, pmin=None,
                 unlabeled_invert_id_idx):
        self.query_strategies_ = query_strategies
        if self.query_strategies_ is None:
            raise TypeError("__init__() missing required keyword-only argument: "
                            "'query_strategies'")
        if not self.query_strategies_:
            raise ValueError("query_strategies list is empty")
        self.uniform_sampler = uniform_sampler
        self.N = len(self.query_strategies_) + (1 if self.uniform_sampler else 0)
        self.w = np.ones(self.N)
        self.T = T
        self.delta = delta
        self.K = self.N
        self.pmin = pmin
        if self.pmin is None:
            with np.errstate(divide="ignore"):
                self.pmin = np.sqrt(np.log(self.N) / self.K / self.T)
        self.unlabeled_invert_id_idx = unlabeled_invert_id_idx
        if not self.unlabeled_invert_id_idx:
            raise TypeError("unlabeled_invert_id_idx is empty: no row can be drawn")
        self.t = 0
        self._advice_rows = None     # (N, n_rows) advice of the current round
        self._arm_proba = None
        self._query_vector = None

    def __next__(self, reward, ask_id, lbl):
        return self.next(reward, ask_id, lbl)

    def next(self, reward, ask_id, lbl):
        """The query vector of the next round.

        Parameters
        ----------
        reward : float
            -1 for the first round; then the reward of the row drawn last.
        ask_id : int or None
            Entry id of the row drawn last (ignored in the first round).
        lbl : object
            Its label (not used by Exp4.P).

        Returns
        -------
        ndarray (n_rows,)
            Probability of drawing each row, in ``unlabeled_invert_id_idx`` order.
        """
        if reward == -1:
            if self.t:
                raise TypeError("reward -1 starts the first round only; pass the reward "
                                "of the row drawn last, or call advise()")
        else:
            if not self.t:
                raise TypeError("the first round takes reward -1 (there is nothing to reward yet)")
            self._reward(reward, ask_id)
        return self.advise()

    def advise(self):
        """Start a round without rewarding the previous one; return its query vector."""
        invert = self.unlabeled_invert_id_idx
        n_rows = len(invert)
        advice = np.zeros((self.N, n_rows))
        if self.uniform_sampler:
            advice[-1, :] = 1. / n_rows
        for arm, strategy in enumerate(self.query_strategies_):
            advice[arm][invert[strategy.make_query()]] = 1
        arm_proba = (1 - self.K * self.pmin) * self.w / np.sum(self.w) + self.pmin
        self._advice_rows, self._arm_proba = advice, arm_proba
        self._query_vector = np.dot(arm_proba, advice)
        self.t += 1
        return self._query_vector

    def _reward(self, reward, ask_id):
        position = self.unlabeled_invert_id_idx[ask_id]
        arm_reward = reward * self._advice_rows[:, position] / self._query_vector[position]
        confidence = 1 / self._arm_proba * np.sqrt(np.log(self.N / self.delta) / self.K / self.T)
        self.w = self.w * np.exp(self.pmin / 2 * (arm_reward + confidence))


class ActiveLearningByLearning(QueryStrategy):
    r"""Learn online which query strategy to follow (libact's ``ActiveLearningByLearning``).

    Parameters
    ----------
    dataset : Dataset
    query_strategies : list of QueryStrategy (required)
        The arms; each must query the same Dataset object.  Every query asks
        each of them for ``make_query()`` once, in list order.
    T : int (required)
        Query budget: ``make_query`` answers at most T times.
    delta : float, default 0.1
    uniform_sampler : bool, default True
        Add uniform random sampling as an arm.
    pmin : float, default ``sqrt(ln K / (K T))``
        Smallest arm probability, at most ``1/K`` (K arms).
    model : Model or scikit-learn classifier (required)
        Scores the arms: its importance-weighted accuracy on the queried rows
        is the reward.  Trained on a shallow copy, as libact.  A scikit-learn
        classifier is wrapped by ``fastal.models.as_model``.
    random_state : None, int or RandomState
        Draws the queried rows.

    Attributes
    ----------
    query_strategies_, exp4p_, queried_hist_, W, budget_used, query_dist, random_state_

    Notes
    -----
    The rows that can be queried are those unlabeled when ALBL is built.  A
    query draws a row from the bandit's distribution with
    ``random_state_.choice``; a row that has meanwhile been labeled is
    recorded as queried (importance weight included, no budget used) and the
    draw repeats after a new bandit round.  Random numbers are consumed as in
    libact, so a seed gives libact's queries.

    Where libact fails, fastal goes on: a label for a row that was labeled
    when ALBL was built, or added since, or any label before the first
    query, is not recorded (libact raises ``KeyError`` / ``TypeError`` from
    the update callback); a query before any queried row is labeled starts a
    new bandit round without a reward (libact raises ``IndexError``).  With
    no unlabeled row at construction fastal raises ``ValueError("No
    unlabeled samples available")`` where libact raises ``TypeError``.

    ``_get_scores`` raises ``NotImplementedError`` (ALBL has no per-row score,
    as in libact).  ``make_query(return_score=True)`` also returns
    ``[(entry_id, probability), ...]``: the distribution of the final draw
    over the current unlabeled rows (0 for rows added after construction).

    ``make_query(n_instances=k)`` uses k of the budget and returns k distinct
    ids: the first is exactly the single query; the others are drawn, one
    ``random_state_.choice`` each, from the same distribution restricted to
    the unlabeled rows not yet picked and renormalised (draws without
    replacement; uniform among those rows if the distribution has no mass
    left on them, which needs ``uniform_sampler=False``).  The bandit is
    rewarded once per query call, for the last row labeled, as in libact
    when several labels arrive between two queries.  A batch larger than the
    remaining budget raises ``ValueError`` before anything is drawn.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies import RandomSampling, UncertaintySampling
    >>> X = np.linspace(-1, 1, 12).reshape(-1, 1)
    >>> ds = Dataset(X, [-1, -1] + [None] * 8 + [1, 1])
    >>> qs = ActiveLearningByLearning(
    ...     ds, T=5, model=LogisticRegression(), random_state=0,
    ...     query_strategies=[UncertaintySampling(ds, model=LogisticRegression()),
    ...                       RandomSampling(ds, random_state=0)])
    >>> int(qs.make_query())
    6
    """

    def __init__(self, dataset, *, query_strategies, T, delta=0.1, uniform_sampler=True,
                 pmin=None, model, random_state=None):
        super().__init__(dataset)
        self.query_strategies_ = query_strategies
        if self.query_strategies_ is None:
            raise TypeError("__init__() missing required keyword-only argument: "
                            "'query_strategies'")
        if not self.query_strategies_:
            raise ValueError("query_strategies list is empty")
        for strategy in self.query_strategies_:
            if strategy.dataset is not self.dataset:
                raise ValueError("query_strategies should share the same dataset instance "
                                 "with albl")
        self.delta = delta
        self.T = T
        if self.T is None:
            raise TypeError("__init__() missing required keyword-only argument: 'T'")

        self.unlabeled_entry_ids = self.dataset.get_unlabeled_entries()[0]
        self.unlabeled_invert_id_idx = {int(eid): i
                                        for i, eid in enumerate(self.unlabeled_entry_ids)}

        self.uniform_sampler = uniform_sampler
        if not isinstance(self.uniform_sampler, bool):
            raise ValueError("'uniform_sampler' should be {True, False}")
        self.pmin = pmin
        n_arms = len(self.query_strategies_) + self.uniform_sampler
        if self.pmin and (self.pmin > 1. / n_arms or self.pmin < 0):
            raise ValueError(f"'pmin' should be 0 < pmin < 1/len(n_active_algorithm) "
                             f"= {1. / n_arms:g}, got {self.pmin!r}")
        if not self.unlabeled_invert_id_idx:
            raise ValueError("No unlabeled samples available")
        self.exp4p_ = Exp4P(query_strategies=self.query_strategies_, T=self.T, delta=self.delta,
                            pmin=self.pmin, unlabeled_invert_id_idx=self.unlabeled_invert_id_idx,
                            uniform_sampler=self.uniform_sampler)
        self.budget_used = 0

        if model is None:
            raise TypeError("__init__() missing required keyword-only argument: 'model'")
        self.model = as_model(model, "model")
        self.random_state_ = seed_random_state(random_state)
        self.query_dist = None
        self.W = []
        self.queried_hist_ = []
        # entry id -> position in the query vector (-1: not drawable)
        self._position = np.full(len(self.dataset), -1, dtype=np.int64)
        self._position[self.unlabeled_entry_ids] = np.arange(len(self.unlabeled_entry_ids))

    def calc_reward_fn(self):
        """Importance-weighted accuracy on the queried rows, divided by n_rows and T."""
        model = copy.copy(self.model)
        model.train(self.dataset)
        reward = 0.
        if self.queried_hist_:
            X, y = self.dataset.get_entries()
            hist = np.asarray(self.queried_hist_, dtype=np.int64)
            correct = (np.asarray(model.predict(X[hist]), dtype=object) == y[hist]).astype(bool)
            # left-to-right running sum: the order libact adds the terms in
            reward = np.cumsum(np.asarray(self.W) * correct)[-1]
        reward /= len(self.dataset)
        reward /= self.T
        return reward

    def calc_query(self):
        """Run one bandit round; sets ``query_dist``."""
        if self.query_dist is None:
            self.query_dist = self.exp4p_.next(-1, None, None)
        elif not self.queried_hist_:
            self.query_dist = self.exp4p_.advise()      # nothing labeled yet: nothing to reward
        else:
            last = self.queried_hist_[-1]
            self.query_dist = self.exp4p_.next(self.calc_reward_fn(), last, self.dataset[last][1])

    def update(self, entry_id, label):
        """Record a labeled row as queried, with importance weight 1 / its draw probability.

        Rows that cannot be drawn (labeled when ALBL was built, or added
        since) and labels given before the first query are not recorded.
        """
        position = self.unlabeled_invert_id_idx.get(int(entry_id))
        if position is None or self.query_dist is None:
            return
        self.W.append(1. / self.query_dist[position])
        self.queried_hist_.append(int(entry_id))

    def _draw_first(self, unlabeled):
        """libact's query: bandit round, draw; a labeled draw is recorded and redrawn."""
        n_rows = len(self.unlabeled_entry_ids)
        while True:
            self.calc_query()
            position = self.random_state_.choice(np.arange(n_rows), size=1, p=self.query_dist)[0]
            ask_id = self.unlabeled_entry_ids[position]
            if unlabeled[ask_id]:
                return ask_id
            self.update(ask_id, self.dataset[ask_id][1])

    def _draw_more(self, first, unlabeled, k):
        """k - 1 more ids from ``query_dist`` without replacement among the unlabeled rows."""
        candidate = unlabeled[self.unlabeled_entry_ids].copy()
        candidate[self._position[first]] = False
        picks = [first]
        for _ in range(k - 1):
            positions = np.flatnonzero(candidate)
            mass = self.query_dist[positions]
            total = mass.sum()
            if total > 0:
                position = self.random_state_.choice(positions, p=mass / total)
            else:
                position = self.random_state_.choice(positions)
            candidate[position] = False
            picks.append(self.unlabeled_entry_ids[position])
        return np.asarray(picks, dtype=np.int64)

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id to label next (or an ndarray of ``n_instances`` distinct ids).

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, probability), ...]`` of the final draw.
        n_instances : int or None
            None: one id, exactly as libact.  k: k distinct ids (see Notes).
        """
        dataset = self.dataset
        unlabeled_ids = dataset.get_unlabeled_ids()
        k = check_n_instances(n_instances, len(unlabeled_ids), return_score)
        asked = 1 if k is None else k
        if self.budget_used + asked > self.T:
            left = max(self.T - self.budget_used, 0)
            raise ValueError(OUT_OF_BUDGET if k is None else
                             f"{OUT_OF_BUDGET}: {left} queries left, {k} asked")
        unlabeled = ~dataset.get_labeled_mask()
        first = self._draw_first(unlabeled)
        chosen = first if k is None else self._draw_more(first, unlabeled, k)
        self.budget_used += asked
        if not return_score:
            return chosen
        proba = np.zeros(len(unlabeled_ids))
        drawable = unlabeled_ids < len(self._position)
        positions = self._position[unlabeled_ids[drawable]]
        proba[np.flatnonzero(drawable)[positions >= 0]] = self.query_dist[positions[positions >= 0]]
        return answer(chosen, unlabeled_ids, proba, True)

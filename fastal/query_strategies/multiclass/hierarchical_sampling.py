r"""Hierarchical sampling (libact's ``HierarchicalSampling``; Dasgupta & Hsu, ICML 2008).

The rows are clustered once, bottom up, with Ward's linkage (scipy's
``ward``, which is what scikit-learn's ``AgglomerativeClustering`` builds):
leaves 0..n-1 are the rows, node ``n + i`` merges the pair of row i of the
linkage.  A *pruning* is a set of nodes whose subtrees partition the rows;
it starts as the root.

Per node v (size ``s`` leaves, ``t`` of them labeled, ``c_l`` with class l,
``f_l = c_l / t``) the strategy keeps, as libact does::

    delta   = (1 - t/s) / t + sqrt((1 - t/s) f_l (1 - f_l) / t)
    lower_l = max(c_l, s f_l - s delta)     upper_l = min(s - (t - c_l), s f_l + s delta)
    l admissible  <=>  lower_l > 2 upper_k - s for every k != l
    best label    =  the first admissible l with the largest c_l > 0 (unchanged if none)
    cost          =  s - lower_best (s without a best label), kept as an integer
                     (truncated), or the children's costs summed when that is
                     smaller and v has a best label -- then v is marked split
                     (a mark never cleared).

A label updates the nodes from its leaf up to the pruning node above it,
which is then replaced by the unsplit nodes below it (depth first, right
child first).  A query draws a pruning node with probability proportional to
its weight -- ``s - lower_best`` (``s`` without a best label) when
``active_selecting``, its number of unlabeled leaves otherwise -- with
``random_state.choice`` over the prunings in libact's list order, then walks
down to an unlabeled leaf, going left with probability (unlabeled leaves on
the left) / (unlabeled leaves below), one ``random_state.rand()`` per level;
with ``subsample_qs`` the leaf of that node with the largest score of the
sub-strategy's ``make_query(return_score=True)`` is taken instead (the
largest entry id on ties).  Random numbers are consumed as libact consumes
them, so a seed gives libact's queries.
"""
import numpy as np
import scipy.sparse as sp

from fastal.base.interfaces import QueryStrategy
from fastal.query_strategies._selection import answer, check_n_instances
from fastal.utils import seed_random_state

__all__ = ["HierarchicalSampling", "ward_children"]

NO_NODE = -1
NO_LABEL = -1


def ward_children(X):
    """Children of every merge of Ward's agglomerative clustering of X, shape (n - 1, 2).

    The tree scikit-learn's ``AgglomerativeClustering().fit(X).children_`` holds.

    Examples
    --------
    >>> ward_children([[0.0], [0.1], [5.0]]).tolist()
    [[0, 1], [2, 3]]
    """
    from scipy.cluster.hierarchy import ward
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"hierarchical sampling needs at least 2 rows to cluster, got "
                         f"shape {X.shape}")
    X = np.require(X.astype(np.float64, copy=False), requirements="W")
    return ward(X)[:, :2].astype(np.intp)


class HierarchicalSampling(QueryStrategy):
    """Query within clusters of a hierarchical clustering (libact's ``HierarchicalSampling``).

    Parameters
    ----------
    dataset : Dataset
        Its rows are clustered once, at construction.
    classes : list
        The distinct classes; every label given must be one of them.
    active_selecting : bool, default True
        True: a pruning node is drawn with weight its error bound
        ``size - lower_bound[best label]``; False: its number of unlabeled leaves.
    subsample_qs : QueryStrategy or None, default None
        Picks the row within the drawn node (largest score of its
        ``make_query(return_score=True)``); None walks down the tree at random.
    random_state : None, int or RandomState

    Attributes
    ----------
    n, m : int
        Number of leaves (rows at construction) and of nodes (2 n - 1).
    classes, num_class, class_id
    parent, left_child, right_child, size, depth : ndarray (m,)
    count : ndarray (m, num_class)
        Labels seen per node and class.
    total : ndarray (m,)
    lower_bound, upper_bound : ndarray (m, num_class)
    admissible : ndarray (m, num_class) of bool
    best_label, cost : ndarray (m,)
    split : ndarray (m,) of bool
    prunings : list
        The pruning nodes, in libact's order (it decides the draws).
    random_state_ : RandomState

    Notes
    -----
    Libact's definitions (module docstring), with its random number use:
    the same seed gives the same queries.  Where libact fails, fastal
    differs:

    * a drawn pruning node without an unlabeled leaf is drawn again (libact
      returns -1, which its next update cannot take); in libact's own runs
      this does not happen, since a node all of whose leaves are labeled
      either has weight 0 or is split when its last label arrives;
    * a row labeled a second time raises ``ValueError`` before any count
      changes (libact fails an assertion after counting it);
    * rows appended to the dataset after construction are not in the tree:
      a label for one raises ``ValueError``, queries never return one, and
      ``report_all_label`` gives them -1; ``report_entry_label`` of an id
      outside the tree raises ``ValueError``.

    ``report_all_label`` returns class *indices* into ``classes`` (libact's
    return value), ``report_entry_label`` the class itself.  The pruning
    whose best label is undecided reports its parent's best label (index -1,
    i.e. the last class, if that is undecided too) and the root reports 0.

    ``_get_scores`` raises ``NotImplementedError`` (no per-row score, as in
    libact).  ``make_query(return_score=True)`` also returns ``[(entry_id,
    probability), ...]``: the probability that the query picks each
    unlabeled row.  ``make_query(n_instances=k)`` returns k distinct ids: the
    first is the single query's; each next one repeats the draw among the
    pruning nodes that still hold an unpicked unlabeled row (their weights
    renormalised), with the rows picked so far counted as labeled when
    walking down the tree (and in the weights when not ``active_selecting``);
    with ``subsample_qs`` it takes the best-scored unpicked row of the node.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies.multiclass import HierarchicalSampling
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> ds = Dataset(X, [0, 0, None, 1, 1, None])
    >>> qs = HierarchicalSampling(ds, [0, 1], random_state=0)
    >>> qs.make_query()
    5
    >>> qs.report_all_label().tolist()
    [0, 0, 0, 1, 1, 1]
    """

    def __init__(self, dataset, classes, active_selecting=True, subsample_qs=None,
                 random_state=None):
        # checked before registering with the dataset, so a failed construction
        # leaves no update callback behind
        X, _ = dataset.get_entries()
        children = ward_children(X)
        if subsample_qs is not None and not isinstance(subsample_qs, QueryStrategy):
            raise TypeError("subsample_qs has to be a QueryStrategy")
        super().__init__(dataset)
        self.sub_qs = subsample_qs
        self.active_selecting = active_selecting
        self.random_state_ = seed_random_state(random_state)
        self.n = len(children) + 1
        self.m = self.n * 2 - 1
        self.num_class = len(classes)
        self.classes = list(classes)
        self.class_id = dict(zip(self.classes, range(self.num_class)))
        self._build_tree(children)

        m, k = self.m, self.num_class
        self.count = np.zeros((m, k), dtype=int)
        self.total = np.zeros(m, dtype=int)
        self.upper_bound = np.ones((m, k), dtype=float)
        self.lower_bound = np.zeros((m, k), dtype=float)
        self.admissible = np.zeros((m, k), dtype=bool)
        self.best_label = np.full(m, NO_LABEL, dtype=int)
        self.split = np.zeros(m, dtype=bool)
        self.cost = self.size.copy()
        self.prunings = [m - 1]
        self._is_pruning = np.zeros(m, dtype=bool)
        self._is_pruning[m - 1] = True

        _, y = self.dataset.get_entries()
        for i in range(min(len(y), self.n)):
            if y[i] is not None:
                self.update(i, y[i])

    # -- the tree ----------------------------------------------------------
    def _build_tree(self, children):
        n, m = self.n, self.m
        children = np.asarray(children, dtype=int).reshape(-1, 2)
        merged = np.arange(n, m)
        self.parent = np.full(m, NO_NODE, dtype=int)
        self.parent[children[:, 0]] = merged
        self.parent[children[:, 1]] = merged
        self.left_child = np.concatenate([np.full(n, NO_NODE), children[:, 0]]).astype(int)
        self.right_child = np.concatenate([np.full(n, NO_NODE), children[:, 1]]).astype(int)
        size = [1] * n + [0] * (n - 1)
        depth = [0] * m
        for node, (a, b) in zip(range(n, m), children.tolist()):
            size[node] = size[a] + size[b]
            depth[node] = max(depth[a], depth[b]) + 1
        self.size = np.asarray(size, dtype=int)
        self.depth = np.asarray(depth, dtype=int)
        # leaves of a node = leaf_order[start[node] : start[node] + size[node]]
        # (left subtree first, as libact's _find_leaves lists them)
        start = [0] * m
        left, right = self.left_child.tolist(), self.right_child.tolist()
        for node in range(m - 1, n - 1, -1):
            start[left[node]] = start[node]
            start[right[node]] = start[node] + size[left[node]]
        self._start = np.asarray(start, dtype=int)
        self._leaf_order = np.empty(n, dtype=int)
        self._leaf_order[self._start[:n]] = np.arange(n)

    def _find_leaves(self, node):
        """Leaves below ``node`` (left subtree first), as a list."""
        if node == NO_NODE:
            return []
        begin = self._start[node]
        return self._leaf_order[begin:begin + self.size[node]].tolist()

    def _find_root_pruning(self, entry_id):
        node = entry_id
        is_pruning, parent = self._is_pruning, self.parent
        while node != NO_NODE and not is_pruning[node]:
            node = parent[node]
        return node

    def _check_leaf(self, entry_id):
        if not 0 <= entry_id < self.n:
            raise ValueError(f"entry {entry_id} is not in the hierarchical clustering, which "
                             f"holds the {self.n} rows present at construction")

    # -- labels ------------------------------------------------------------
    def update(self, entry_id, label):
        """Count the label of ``entry_id`` along its path and refine the pruning above it.

        Raises
        ------
        ValueError
            If the label is not one of ``classes``, the row was not in the
            dataset at construction, or the row was already counted.
        """
        if label not in self.class_id:
            raise ValueError('Unknown class of entry %d: %s, expected: %s' %
                             (entry_id, label, list(self.class_id.keys())))
        entry_id = int(entry_id)
        self._check_leaf(entry_id)
        if self.total[entry_id] > 0:
            raise ValueError(f"entry {entry_id} is already labeled: hierarchical sampling "
                             "counts the label of a row once")
        class_id = self.class_id[label]
        root_pruning = self._find_root_pruning(entry_id)
        self._update(entry_id, class_id, root_pruning)
        self._prune_node(root_pruning)

    def _update(self, entry_id, label, root_pruning):
        path = [entry_id]
        parent = self.parent
        node = entry_id
        while node != root_pruning and parent[node] != NO_NODE:
            node = int(parent[node])
            path.append(node)
        path = np.asarray(path, dtype=int)

        self.count[path, label] += 1
        self.total[path] += 1
        count = self.count[path]
        # integers are exact in float64: converting first changes no value
        cnt = count.astype(np.float64)
        total = self.total[path].astype(np.float64)[:, None]
        size = self.size[path].astype(np.float64)[:, None]
        frac = cnt / total
        fs_corr = 1.0 - total / size
        delta = fs_corr / total + np.sqrt(fs_corr * frac * (1. - frac) / total)
        mean = frac * size
        err = delta * size
        lower = np.maximum(cnt, mean - err)
        upper = np.minimum(size - (total - cnt), mean + err)
        self.lower_bound[path] = lower
        self.upper_bound[path] = upper

        # l is admissible when lower[l] > 2 upper[k] - size for every k != l, i.e.
        # when lower[l] exceeds the largest of those values over k != l
        threshold = 2 * upper - size
        k = self.num_class
        if k > 1:
            ordered = np.sort(threshold, axis=1)
            top = threshold.argmax(axis=1)
            others = np.where(np.arange(k) == top[:, None], ordered[:, -2:-1], ordered[:, -1:])
            admissible = lower > others
        else:
            admissible = np.ones_like(lower, dtype=bool)
        self.admissible[path] = admissible
        candidate = np.where(admissible, count, 0)
        decided = candidate.max(axis=1) > 0
        self.best_label[path[decided]] = candidate[decided].argmax(axis=1)

        best = self.best_label[path].tolist()
        lower_best = self.lower_bound[path, np.maximum(self.best_label[path], 0)].tolist()
        sizes = self.size[path].tolist()
        cost, split = self.cost, self.split
        left, right = self.left_child, self.right_child
        for node, b, lb, s in zip(path.tolist(), best, lower_best, sizes):
            basic_cost = s - lb if b != NO_LABEL else s
            if s == 1:
                cost[node] = basic_cost
                continue
            split_cost = cost[left[node]] + cost[right[node]]
            if split_cost < basic_cost and b != NO_LABEL:
                cost[node] = split_cost
                split[node] = True
            else:
                cost[node] = basic_cost

    def _prune_node(self, root_pruning):
        self.prunings.remove(root_pruning)
        self._is_pruning[root_pruning] = False
        stack = [root_pruning]
        while stack:
            node = stack.pop()
            if self.split[node]:
                stack.append(self.left_child[node])
                stack.append(self.right_child[node])
            else:
                self.prunings.append(node)
                self._is_pruning[node] = True

    # -- reports -----------------------------------------------------------
    def _best_label(self, pruning):
        if self.best_label[pruning] != NO_LABEL:
            return self.best_label[pruning]
        if self.parent[pruning] != NO_NODE:
            return self.best_label[self.parent[pruning]]
        return 0

    def report_entry_label(self, entry_id):
        """The best label of the pruning node above ``entry_id``.

        Parameters
        ----------
        entry_id : int

        Returns
        -------
        label : object
            One of ``classes``.
        """
        self._check_leaf(int(entry_id))
        pruning = self._find_root_pruning(int(entry_id))
        return self.classes[self._best_label(pruning)]

    def report_all_label(self):
        """The best label of every row, as an index into ``classes``.

        Returns
        -------
        labels : ndarray of int, shape (len(dataset),)
            Rows not in the tree (appended after construction) get -1.
        """
        labels = np.full(len(self.dataset), NO_LABEL, dtype=int)
        prunings = np.asarray(self.prunings, dtype=int)
        best = np.array([self._best_label(p) for p in prunings.tolist()], dtype=int)
        order = np.argsort(self._start[prunings], kind="stable")
        labels[self._leaf_order] = np.repeat(best[order], self.size[prunings[order]])
        return labels

    # -- queries -----------------------------------------------------------
    def _get_scores(self):
        """Not provided (as in libact): hierarchical sampling draws its queries.

        Raises
        ------
        NotImplementedError
        """
        raise NotImplementedError(
            "HierarchicalSampling does not provide _get_scores(); "
            "make_query(return_score=True) gives the probability of each row")

    def _pruning_distribution(self, prunings, pending):
        """libact's weights of the pruning nodes, divided by their sum as libact divides."""
        size = self.size[prunings]
        if self.active_selecting:
            best = self.best_label[prunings]
            lower = self.lower_bound[prunings, np.maximum(best, 0)]
            weight = np.where(best == NO_LABEL, size.astype(float), size - lower)
            return weight / np.cumsum(weight)[-1]
        weight = size - self.total[prunings] - pending[prunings]
        return weight / weight.sum()

    def _draw_pruning(self, prunings, p, drawable):
        """``random_state_.choice(prunings, p=p)``, drawn again while the node cannot be used."""
        while True:
            position = self.random_state_.choice(len(prunings), p=p)
            if drawable[position]:
                return int(prunings[position])

    def _sample_node(self, node, pending):
        size, total = self.size, self.total
        left, right = self.left_child, self.right_child
        rand = self.random_state_.rand
        while True:
            unseen = size[node] - total[node] - pending[node]
            if unseen == 0:
                return NO_NODE
            if size[node] == 1:
                return int(node)
            a = left[node]
            if rand() < (size[a] - total[a] - pending[a]) / unseen:
                node = a
            else:
                node = right[node]

    def _mark_pending(self, leaf, pending):
        node = leaf
        while node != NO_NODE:
            pending[node] += 1
            node = self.parent[node]

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id to label next (or an ndarray of ``n_instances`` distinct ids).

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, probability), ...]`` for the unlabeled
            rows: the chance that a single query picks each.
        n_instances : int or None
            None: one id, exactly as libact.  k: k distinct ids (see Notes).
        """
        unlabeled_ids = self.dataset.get_unlabeled_ids()
        k = check_n_instances(n_instances, len(unlabeled_ids), return_score)
        prunings = np.asarray(self.prunings, dtype=int)
        pending = np.zeros(self.m, dtype=int)
        unseen = self.size[prunings] - self.total[prunings]
        if unseen.sum() < (1 if k is None else k):
            raise ValueError("not enough unlabeled rows in the hierarchical clustering (rows "
                             "appended after construction are not in it)")
        p = self._pruning_distribution(prunings, pending)
        pruning = self._draw_pruning(prunings, p, unseen > 0)
        sub_scores = None
        if self.sub_qs is None:
            first = self._sample_node(pruning, pending)
        else:
            _, sub_scores = self.sub_qs.make_query(return_score=True)
            score_ids = np.array([int(i) for i, _ in sub_scores], dtype=int)
            score_values = np.array([s for _, s in sub_scores], dtype=float)
            in_tree = (score_ids >= 0) & (score_ids < self.n)
            score_ids, score_values = score_ids[in_tree], score_values[in_tree]
            scored = np.full(self.n, -np.inf)
            has_score = np.zeros(self.n, dtype=bool)
            scored[score_ids] = score_values
            has_score[score_ids] = True
            first = self._best_scored_leaf(pruning, scored, has_score)
        chosen = first
        if k is not None:
            picks = [first]
            for _ in range(k - 1):
                self._mark_pending(picks[-1], pending)
                if self.sub_qs is not None:
                    has_score[picks[-1]] = False
                    drawable = self._scored_leaf_counts(prunings, has_score) > 0
                else:
                    drawable = self.size[prunings] - self.total[prunings] - pending[prunings] > 0
                if not drawable.any():
                    raise ValueError("not enough rows to draw from")
                p_next = p if self.active_selecting else self._pruning_distribution(
                    prunings, pending)
                p_next = np.where(drawable, p_next, 0.0)
                node = self._draw_pruning(prunings, p_next / p_next.sum(), drawable)
                if self.sub_qs is None:
                    picks.append(self._sample_node(node, pending))
                else:
                    picks.append(self._best_scored_leaf(node, scored, has_score))
            chosen = np.asarray(picks, dtype=np.int64)
        if not return_score:
            return chosen
        return answer(chosen, unlabeled_ids.copy(),
                      self._pick_probabilities(prunings, p, unseen, unlabeled_ids, sub_scores),
                      True)

    def _scored_leaf_counts(self, prunings, has_score):
        running = np.concatenate([[0], np.cumsum(has_score[self._leaf_order])])
        begin = self._start[prunings]
        return running[begin + self.size[prunings]] - running[begin]

    def _best_scored_leaf(self, node, scored, has_score):
        leaves = self._leaf_order[self._start[node]:self._start[node] + self.size[node]]
        leaves = leaves[has_score[leaves]]
        if leaves.size == 0:
            raise ValueError(f"the sub-strategy gave no score to any row below node {node}")
        values = scored[leaves]
        top = values.max()
        return int(leaves[values == top].max())

    def _pick_probabilities(self, prunings, p, unseen, unlabeled_ids, sub_scores):
        """Chance that a single query picks each unlabeled row."""
        q = np.where(unseen > 0, p, 0.0)
        q = q / q.sum()
        per_leaf = np.zeros(self.n)
        if sub_scores is None:
            order = np.argsort(self._start[prunings], kind="stable")
            share = np.where(unseen > 0, q / np.maximum(unseen, 1), 0.0)
            per_leaf[self._leaf_order] = np.repeat(share[order], self.size[prunings[order]])
            per_leaf[self.total[:self.n] > 0] = 0.0
        else:
            ids = np.array([int(i) for i, _ in sub_scores], dtype=int)
            values = np.array([s for _, s in sub_scores], dtype=float)
            keep = (ids >= 0) & (ids < self.n)
            scored = np.full(self.n, -np.inf)
            has_score = np.zeros(self.n, dtype=bool)
            scored[ids[keep]] = values[keep]
            has_score[ids[keep]] = True
            for position in np.flatnonzero(q > 0):
                node = prunings[position]
                try:
                    leaf = self._best_scored_leaf(node, scored, has_score)
                except ValueError:
                    continue
                per_leaf[leaf] += q[position]
        out = np.zeros(len(unlabeled_ids))
        inside = unlabeled_ids < self.n
        out[inside] = per_leaf[unlabeled_ids[inside]]
        return out

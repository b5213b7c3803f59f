"""Explicit constructor signatures: named parameters, misspelt keywords refused by name,
libact's positional forms still accepted."""
import inspect
import pydoc
import re

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LinearRegression
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.svm import SVC

import fastal.labelers
import fastal.models
import fastal.models.multilabel
import fastal.query_strategies
import fastal.query_strategies.multiclass
import fastal.query_strategies.multilabel
from fastal.base.dataset import Dataset
from fastal.labelers import IdealLabeler, InteractiveLabeler
from fastal.models import SVM, LogisticRegression, Perceptron, SklearnAdapter, SklearnProbaAdapter
from fastal.models.multilabel import BinaryRelevance, DummyClf
from fastal.query_strategies import (
    BALD, DWUS, QUIRE, ActiveLearningByLearning, CoreSet, DensityWeightedMeta,
    EpsilonUncertaintySampling, GraphDensity, HintSVM, InformationDensity, QueryByCommittee,
    RandomSampling, RankedBatch, UncertaintySampling, VarianceReduction)
from fastal.query_strategies.active_learning_by_learning import Exp4P
from fastal.query_strategies.multiclass import (
    EER, ActiveLearningWithCostEmbedding, HierarchicalSampling)
from fastal.query_strategies.multilabel import (
    MMC, AdaptiveActiveLearning, BinaryMinimization, CostSensitiveReferencePairEncoding,
    MultilabelWithAuxiliaryLearner)
from fastal.utils.multilabel import pairwise_f1_score
from fastal.utils.signatures import KeywordChecked, check_keywords

PACKAGES = [fastal.query_strategies, fastal.query_strategies.multiclass,
            fastal.query_strategies.multilabel, fastal.models, fastal.models.multilabel,
            fastal.labelers]
PUBLIC_CLASSES = sorted({getattr(pkg, name) for pkg in PACKAGES for name in pkg.__all__
                         if inspect.isclass(getattr(pkg, name))}, key=lambda c: c.__name__)

X = np.array([[0.0, 0.1], [0.2, 0.9], [1.0, 0.3], [0.7, 0.8], [0.4, 0.4], [0.9, 0.1],
              [0.1, 0.6], [0.6, 0.2]])


def binary():
    return Dataset(X, [0, 1, 0, 1, None, None, None, None])


def signed():
    return Dataset(X, [-1, 1, -1, 1, None, None, None, None])


def multilabel():
    return Dataset(X, [[0, 1], [1, 0], [1, 1], [0, 1], None, None, None, None])


def full():
    return Dataset(X, [0, 1, 0, 1, 0, 1, 0, 1])


def lr():
    return LogisticRegression(solver="liblinear")


# every public class built cheaply; ``kw`` carries the keyword under test
FACTORIES = {
    UncertaintySampling: lambda **kw: UncertaintySampling(binary(), model=lr(), **kw),
    RandomSampling: lambda **kw: RandomSampling(binary(), **kw),
    QueryByCommittee: lambda **kw: QueryByCommittee(binary(), models=[lr(), lr()], **kw),
    EpsilonUncertaintySampling: lambda **kw: EpsilonUncertaintySampling(binary(), model=lr(),
                                                                        **kw),
    InformationDensity: lambda **kw: InformationDensity(binary(), model=lr(), **kw),
    CoreSet: lambda **kw: CoreSet(binary(), **kw),
    DensityWeightedMeta: lambda **kw: (lambda ds: DensityWeightedMeta(
        ds, UncertaintySampling(ds, model=lr()), **kw))(binary()),
    QUIRE: lambda **kw: QUIRE(signed(), **kw),
    HintSVM: lambda **kw: HintSVM(signed(), **kw),
    DWUS: lambda **kw: DWUS(signed(), n_clusters=2, **kw),
    VarianceReduction: lambda **kw: VarianceReduction(binary(), model=lr(), **kw),
    ActiveLearningByLearning: lambda **kw: (lambda ds: ActiveLearningByLearning(
        ds, query_strategies=[RandomSampling(ds)], T=3, model=lr(), **kw))(binary()),
    BALD: lambda **kw: BALD(binary(), base_model=SklearnProbaAdapter(SkLR()), n_models=2, **kw),
    RankedBatch: lambda **kw: RankedBatch(binary(), lr(), **kw),
    GraphDensity: lambda **kw: GraphDensity(binary(), n_neighbors=2, **kw),
    ActiveLearningWithCostEmbedding: lambda **kw: ActiveLearningWithCostEmbedding(
        binary(), np.array([[0.0, 1.0], [1.0, 0.0]]), LinearRegression(), **kw),
    EER: lambda **kw: EER(binary(), lr(), **kw),
    HierarchicalSampling: lambda **kw: HierarchicalSampling(binary(), [0, 1], **kw),
    AdaptiveActiveLearning: lambda **kw: AdaptiveActiveLearning(multilabel(), lr(), **kw),
    BinaryMinimization: lambda **kw: BinaryMinimization(multilabel(), lr(), **kw),
    CostSensitiveReferencePairEncoding: lambda **kw: CostSensitiveReferencePairEncoding(
        multilabel(), pairwise_f1_score, BinaryRelevance(lr()), lr(), n_models=2, **kw),
    MMC: lambda **kw: MMC(multilabel(), **kw),
    MultilabelWithAuxiliaryLearner: lambda **kw: MultilabelWithAuxiliaryLearner(
        multilabel(), BinaryRelevance(lr()), BinaryRelevance(lr()), **kw),
    LogisticRegression: lambda **kw: LogisticRegression(**kw),
    SVM: lambda **kw: SVM(**kw),
    Perceptron: lambda **kw: Perceptron(**kw),
    SklearnAdapter: lambda **kw: SklearnAdapter(SkLR(), **kw),
    SklearnProbaAdapter: lambda **kw: SklearnProbaAdapter(SkLR(), **kw),
    BinaryRelevance: lambda **kw: BinaryRelevance(lr(), **kw),
    DummyClf: lambda **kw: DummyClf(**kw),
    IdealLabeler: lambda **kw: IdealLabeler(full(), **kw),
    InteractiveLabeler: lambda **kw: InteractiveLabeler(**kw),
    Exp4P: lambda **kw: Exp4P(query_strategies=[RandomSampling(binary())],
                              unlabeled_invert_id_idx={4: 0, 5: 1}, **kw),
}


def test_every_public_class_has_a_factory():
    missing = [cls.__name__ for cls in PUBLIC_CLASSES if cls not in FACTORIES]
    assert not missing, f"add a factory for {missing}"


@pytest.mark.parametrize("cls", PUBLIC_CLASSES + [Exp4P], ids=lambda c: c.__name__)
def test_signature_names_the_parameters(cls):
    params = list(inspect.signature(cls).parameters.values())
    kinds = {p.kind for p in params}
    assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{cls.__name__} takes **kwargs"
    assert inspect.Parameter.VAR_POSITIONAL not in kinds, f"{cls.__name__} takes *args"
    assert "self" not in [p.name for p in params]
    assert cls.__init__.__name__ == "__init__"
    if cls is not DummyClf:
        assert params, cls.__name__
        # help() shows them
        text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
        assert "__init__" + str(inspect.signature(cls.__init__)) in text


@pytest.mark.parametrize("cls", sorted(FACTORIES, key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_unknown_keyword_names_the_class_and_the_valid_parameters(cls):
    FACTORIES[cls]()                           # constructible as written
    with pytest.raises(TypeError) as info:
        FACTORIES[cls](no_such_option=1)
    message = str(info.value)
    assert message.startswith(f"{cls.__name__}() got an unexpected keyword argument "
                              "'no_such_option'")
    valid = [p.name for p in inspect.signature(cls).parameters.values()]
    assert "Valid parameters: " + ", ".join(valid) in message


@pytest.mark.parametrize("cls", sorted(FACTORIES, key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_misspelt_keyword_gets_a_suggestion(cls):
    names = [p.name for p in inspect.signature(cls).parameters.values()
             if p.kind is not inspect.Parameter.POSITIONAL_ONLY]
    longer = [n for n in names if len(n) >= 5 and n not in ("dataset",)]
    if not longer:
        pytest.skip("no parameter long enough to misspell")
    name = longer[-1]
    typo = name[:2] + name[3:]               # one letter dropped
    with pytest.raises(TypeError, match=re.escape(f"did you mean {name!r}?")):
        FACTORIES[cls](**{typo: None})


@pytest.mark.parametrize("make, typo, meant", [
    (lambda **kw: RandomSampling(binary(), **kw), "random_sate", "random_state"),
    (lambda **kw: UncertaintySampling(binary(), model=lr(), **kw), "methd", "method"),
    (lambda **kw: SVM(**kw), "kernal", "kernel"),
    (lambda **kw: LogisticRegression(**kw), "max_iters", "max_iter"),
    (lambda **kw: QUIRE(signed(), **kw), "lamda", "lambda"),
])
def test_libact_typos(make, typo, meant):
    with pytest.raises(TypeError, match=re.escape(f"{typo!r}; did you mean {meant!r}?")):
        make(**{typo: 1})


def test_failed_construction_registers_nothing():
    ds = binary()
    with pytest.raises(TypeError):
        UncertaintySampling(ds, model=lr(), methd="sm")
    assert ds._update_callback == []


# -- libact's forms ------------------------------------------------------------
def test_libact_positional_and_keyword_forms():
    ds = binary()
    assert UncertaintySampling(ds, model=lr()).method == "lc"
    assert UncertaintySampling(dataset=ds, model=lr(), method="sm").method == "sm"
    assert len(QueryByCommittee(ds, models=[lr(), lr()]).students) == 2
    assert len(QueryByCommittee(ds, models=["LogisticRegression", "SVM"]).students) == 2
    DensityWeightedMeta(ds, UncertaintySampling(ds, model=lr()), None, None, 2.0, 0)
    EER(ds, lr(), "01", 0)
    HierarchicalSampling(ds, [0, 1], False, None, 0)
    assert IdealLabeler(full()).label(X[1]) == 1
    assert InteractiveLabeler(label_name=["a", "b"]).label_name == ["a", "b"]
    assert SVM(kernel="linear").model.estimator.kernel == "linear"
    assert LogisticRegression(C=1.).model.C == 1.
    assert SklearnAdapter(SkLR()).model.get_params() == SkLR().get_params()
    assert BinaryRelevance(lr(), 2).n_jobs == 2
    mds = multilabel()
    BinaryMinimization(mds, lr(), 0)
    AdaptiveActiveLearning(mds, lr(), [0.5], 1, 0)
    CostSensitiveReferencePairEncoding(mds, pairwise_f1_score, BinaryRelevance(lr()), lr(), 4, 1,
                                       0)
    MultilabelWithAuxiliaryLearner(mds, BinaryRelevance(lr()), BinaryRelevance(lr()), "mmr", 1.,
                                   0)
    ActiveLearningWithCostEmbedding(ds, [[0, 1], [1, 0]], LinearRegression(), None, {}, {}, 0)


def test_quire_lambda_keyword():
    qs = QUIRE(signed(), **{"lambda": 0.5})
    assert qs.lmbda == 0.5
    assert QUIRE(signed(), lambda_=0.25).lmbda == 0.25
    assert QUIRE(signed()).lmbda == 1.0
    with pytest.raises(TypeError, match="both 'lambda' and 'lambda_'"):
        QUIRE(signed(), **{"lambda": 0.5, "lambda_": 0.5})


def test_required_parameters_are_required():
    ds = binary()
    with pytest.raises(TypeError, match="model"):
        UncertaintySampling(ds)
    with pytest.raises(TypeError, match="models"):
        QueryByCommittee(ds)
    with pytest.raises(TypeError, match="'T'"):
        ActiveLearningByLearning(ds, query_strategies=[RandomSampling(ds)], model=lr())
    with pytest.raises(TypeError):            # libact: positional model is an error too
        UncertaintySampling(ds, lr())


# -- the scikit-learn wrappers --------------------------------------------------
WRAPPERS = [(SVM, SVC, lambda m: m.model.estimator), (LogisticRegression, SkLR, lambda m: m.model),
            (Perceptron, SkPerceptron, lambda m: m.model)]


@pytest.mark.parametrize("wrapper, estimator, inner", WRAPPERS,
                         ids=lambda x: getattr(x, "__name__", ""))
def test_wrappers_list_every_parameter_of_the_installed_estimator(wrapper, estimator, inner):
    ours = inspect.signature(wrapper).parameters
    theirs = inspect.signature(estimator).parameters
    assert set(theirs) - {"multi_class"} <= set(ours)
    if sklearn.__version__.split(".")[:2] == ["1", "9"]:    # the defaults the wrappers declare
        for name, param in theirs.items():
            assert ours[name].default == param.default, name
            assert ours[name].kind == param.kind, name


@pytest.mark.parametrize("wrapper, estimator, inner", WRAPPERS,
                         ids=lambda x: getattr(x, "__name__", ""))
def test_wrappers_build_the_same_estimator(wrapper, estimator, inner):
    assert inner(wrapper()).get_params() == estimator().get_params()
    changed = {"tol": 0.01, "max_iter": 50, "random_state": 3}
    assert inner(wrapper(**changed)).get_params() == estimator(**changed).get_params()


def test_wrapper_errors_come_from_scikit_learn_unchanged():
    model = SVM(kernel="no-such-kernel")
    with pytest.raises(ValueError, match="kernel"):
        model.train(binary())


def test_check_keywords_leaves_kwargs_constructors_alone():
    class Loose(KeywordChecked):
        def __init__(self, a=1, **kwargs):
            self.kwargs = kwargs
    assert Loose(b=2).kwargs == {"b": 2}

    def init(self, a=1):
        pass
    wrapped = check_keywords(init)
    assert check_keywords(wrapped) is wrapped
    assert inspect.signature(wrapped) == inspect.signature(init)

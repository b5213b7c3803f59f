"""The ``transformer=`` option of the strategies that measure distances between rows.

``transformer`` is None (distances in the raw feature space, libact's
default), an object with ``transform(X)`` (used as it is at every query), or
the string ``"model"``: every step but the last of the strategy's own model,
a scikit-learn ``Pipeline``, as fitted when the query trains the model.
"""
from sklearn.pipeline import Pipeline

MODEL = "model"


def check_transformer(transformer, model=None, owner="the strategy"):
    """Validate ``transformer`` at construction.

    Parameters
    ----------
    transformer : None, "model" or object with ``transform``
    model : fastal Model or None
        The strategy's own model (None for a strategy without one).
    owner : str
        The strategy's name, for the messages.

    Returns
    -------
    None, "model" or the transformer

    Raises
    ------
    TypeError
        A transformer without ``transform``, or a string other than "model".
    ValueError
        ``"model"`` when the strategy has no model or its model does not wrap
        a ``Pipeline`` of two steps or more.
    """
    if transformer is None:
        return None
    if isinstance(transformer, str):
        if transformer != MODEL:
            raise TypeError(f"transformer must be an object with a 'transform' method or the "
                            f"string 'model', got {transformer!r}")
        pipeline_head(model, owner)
        return MODEL
    if not hasattr(transformer, "transform"):
        raise TypeError("transformer must have a 'transform' method")
    return transformer


def model_pipeline(model):
    """The scikit-learn ``Pipeline`` a fastal model wraps, or None."""
    estimator = getattr(model, "model", None)
    return estimator if isinstance(estimator, Pipeline) else None


def pipeline_head(model, owner="the strategy"):
    """Every step but the last of ``model``'s Pipeline (a Pipeline sharing its steps)."""
    if model is None:
        raise ValueError(f"transformer='model' needs a model, and {owner} has none; pass an "
                         "object with a 'transform' method instead")
    pipeline = model_pipeline(model)
    if pipeline is None:
        raise ValueError(f"transformer='model' needs {owner}'s model to be a scikit-learn "
                         f"Pipeline (transform then classify), got {model!r}")
    if len(pipeline.steps) < 2:
        raise ValueError("transformer='model' needs a Pipeline with a step before its "
                         "classifier")
    return pipeline[:-1]


def transform_rows(transformer, model, X, owner="the strategy"):
    """``X`` in the space of ``transformer`` (see the module docstring)."""
    if transformer is None:
        return X
    if isinstance(transformer, str):     # "model", checked at construction
        return pipeline_head(model, owner).transform(X)
    return transformer.transform(X)

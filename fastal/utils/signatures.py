"""Constructors that reject misspelt keywords by name.

Every public strategy, model and labeler declares its parameters in its
``__init__`` signature.  Python already refuses a keyword that is not one of
them; :func:`check_keywords` makes the message useful: it names the class, the
keyword, the closest valid name (``difflib``) and every valid name.

Classes get it by deriving from :class:`KeywordChecked` (the base interfaces
``QueryStrategy``, ``Model`` and ``Labeler`` do): every ``__init__`` defined
in a subclass is wrapped once, when the class is created.  ``functools.wraps``
keeps ``inspect.signature(cls)`` and ``help(cls)`` showing the real
parameters.  An ``__init__`` that takes ``**kwargs`` is left as it is.

Examples
--------
>>> class Point(KeywordChecked):
...     def __init__(self, x=0.0, *, random_state=None):
...         self.x = x
>>> Point(1.0, random_sate=0)
Traceback (most recent call last):
...
TypeError: Point() got an unexpected keyword argument 'random_sate'; did you mean 'random_state'? Valid parameters: x, random_state
"""
import difflib
import functools
import inspect

__all__ = ["KeywordChecked", "check_keywords", "keyword_parameters", "unknown_keyword_error"]

_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def keyword_parameters(function):
    """Names ``function`` accepts by keyword (``self`` left out), in order, or None when it
    takes ``**kwargs``."""
    parameters = list(inspect.signature(function).parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    names = [p.name for p in parameters if p.kind in _KEYWORD_KINDS]
    return tuple(names[1:] if names and names[0] == "self" else names)


def unknown_keyword_error(owner, keyword, valid, aliases=None):
    """The ``TypeError`` for ``owner(keyword=...)`` where ``valid`` are the accepted names.

    ``aliases`` (``{spelling: parameter}``) are listed and suggested too.

    Examples
    --------
    >>> str(unknown_keyword_error("UncertaintySampling", "methd", ("dataset", "model", "method")))
    "UncertaintySampling() got an unexpected keyword argument 'methd'; did you mean 'method'? Valid parameters: dataset, model, method"
    """
    aliases = aliases or {}
    message = f"{owner}() got an unexpected keyword argument {keyword!r}"
    close = difflib.get_close_matches(keyword, tuple(valid) + tuple(aliases), n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    names = list(valid) + [f"{spelling} (= {parameter})" for spelling, parameter in aliases.items()]
    return TypeError(message + " Valid parameters: " + (", ".join(names) if names else "none"))


def check_keywords(init, aliases=None):
    """Wrap ``init`` (an ``__init__``) so that an unknown keyword raises a helpful TypeError.

    Parameters
    ----------
    init : function
        The constructor; returned unchanged when it takes ``**kwargs`` or is
        already wrapped.
    aliases : dict, optional
        ``{accepted spelling: parameter name}`` for keywords that cannot be
        parameter names (a Python keyword such as ``lambda``); they are
        renamed before ``init`` is called.

    Returns
    -------
    function
        The wrapper, with ``init``'s name, docstring and signature.
    """
    if getattr(init, "_checks_keywords", False):
        return init
    valid = keyword_parameters(init)
    if valid is None:
        return init
    aliases = dict(aliases or {})
    accepted = frozenset(valid) | frozenset(aliases)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if kwargs and not accepted.issuperset(kwargs):
            owner = type(self)
            name = (owner.__name__ if getattr(owner, "__init__", None) is __init__
                    else init.__qualname__.rsplit(".", 1)[0])
            bad = next(k for k in kwargs if k not in accepted)
            raise unknown_keyword_error(name, bad, valid, aliases)
        for spelling, parameter in aliases.items():
            if spelling in kwargs:
                if parameter in kwargs:
                    raise TypeError(f"{type(self).__name__}() got both {spelling!r} and "
                                    f"{parameter!r}, two names of one parameter")
                kwargs[parameter] = kwargs.pop(spelling)
        init(self, *args, **kwargs)

    __init__._checks_keywords = True
    return __init__


class KeywordChecked:
    """Mixin: every ``__init__`` of a subclass goes through :func:`check_keywords`.

    A subclass may set ``_init_aliases`` (a dict, see :func:`check_keywords`)
    next to its ``__init__``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            cls.__init__ = check_keywords(init, cls.__dict__.get("_init_aliases"))

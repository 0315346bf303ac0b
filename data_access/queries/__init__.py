"""SQLAlchemy Core statements over the registry contract, one module per subject.

``counts`` (headline base counts), ``services``, ``records`` (person lists), ``quality``,
``targets``, ``units``, and the definitions they share in ``common``.
"""

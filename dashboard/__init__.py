"""The dashboard: the command line and every word a user reads, over the layers below.

``cli`` (``python -m dashboard``) and ``labels`` (zh/en) live here; the code is in layers that
import one way only: ``app`` → ``views`` → ``render`` → ``domain``, and ``app`` →
``data_access`` → ``domain``.
"""

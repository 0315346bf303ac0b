"""Turn registry problems into one ``st.error`` line instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard import labels
from dashboard.periods import PeriodError
from data_access.db import RegistryError


@contextmanager
def stop_on_registry_error() -> Iterator[None]:
    """Show a RegistryError or PeriodError as one error line and stop the run."""
    try:
        yield
    except RegistryError as exc:
        st.error(labels.t(exc.key, **exc.fields), icon=":material/error:")
        st.stop()
    except PeriodError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()

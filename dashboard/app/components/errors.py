"""Turn registry and engine problems into one ``st.error`` line instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.domain.errors import KeyedError
from dashboard.render import formats


@contextmanager
def stop_on_registry_error() -> Iterator[None]:
    """Show a RegistryError, PeriodError or other keyed problem as one error line and stop."""
    try:
        yield
    except KeyedError as exc:
        st.error(formats.message(exc), icon=":material/error:")
        st.stop()

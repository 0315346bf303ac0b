"""Who is using this session: Streamlit's own OIDC login (``st.login`` / ``st.user``,
``[auth]`` in ``.streamlit/secrets.toml``) and the county's access mapping.

Without ``[auth]`` the bundled demo database runs in 演示模式 (the demo user, ``county`` unless
``DASHBOARD_ROLE`` says otherwise, with a banner), and any other registry runs as ``viewer``:
never an anonymous ``county``. ``DASHBOARD_DEMO=1`` puts another registry in demo mode — for
trying the dashboard on a copy, never on the real registry.
"""

from __future__ import annotations

import os

import streamlit as st

from dashboard import labels
from dashboard.app import cache
from dashboard.domain import access as rules
from dashboard.domain import units
from dashboard.render import formats
from data_access import config
from data_access.db import DEFAULT_DEMO_PATH, normalise_url

_STATE = "_access"


def auth_configured() -> bool:
    """Whether ``[auth]`` is set in the secrets (then everybody signs in)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def demo_mode(url: str) -> bool:
    """The bundled demo database, or ``DASHBOARD_DEMO=1``: no login, the demo user."""
    flag = os.environ.get("DASHBOARD_DEMO", "").strip().lower() in ("1", "true", "yes")
    return flag or normalise_url(url) == f"sqlite:///{DEFAULT_DEMO_PATH}"


def _demo_access() -> rules.Access:
    """The demo user: ``DASHBOARD_ROLE`` (county, viewer, or township:<code>), county by default."""
    wanted = os.environ.get("DASHBOARD_ROLE", "county").strip().lower()
    role, _, township = wanted.partition(":")
    role = role if role in rules.ROLES else "viewer"
    return rules.Access("demo", role, (township or None) if role == "township" else None, demo=True)


def current(url: str) -> rules.Access:
    """This session's access; a page without one (not signed in, unknown user) stops here with
    the sign-in button or one line."""
    if not auth_configured():
        return _demo_access() if demo_mode(url) else rules.Access("anonymous", "viewer")
    if not st.user.is_logged_in:
        sign_in_page()
        st.stop()
    email = str(st.user.get("email") or "") or None
    subject = str(st.user.get("sub") or "") or None
    claims = dict(st.user.to_dict())
    try:
        codes = list(units.township_options(cache.unit_rows(url)))
        found = rules.resolve(
            config.access_mapping(), email=email, subject=subject, claims=claims, township_codes=codes
        )
    except (rules.AccessConfigError, config.ConfigError) as exc:
        st.error(formats.message(exc))
        st.stop()
    if found is None:
        st.error(labels.t("access_unknown_user", user=str(email or subject)))
        st.button(labels.t("auth_sign_out"), on_click=st.logout, key="sign-out-unknown")
        st.stop()
    return found


def sign_in_page() -> None:
    st.title(labels.t("app_title"))
    st.info(labels.t("auth_sign_in_note"))
    st.button(labels.t("auth_sign_in"), on_click=st.login, key="sign-in", type="primary")


def sidebar_identity(access: rules.Access) -> None:
    """Who is signed in and as what, with a sign-out button; the demo banner."""
    role = labels.t(f"role_{access.role}")
    where = f" · {access.township}" if access.township else ""
    if access.demo:
        st.sidebar.caption(labels.t("auth_demo_user", role=role + where))
    elif auth_configured():
        st.sidebar.caption(labels.t("auth_signed_in", user=access.identity, role=role + where))
        st.sidebar.button(labels.t("auth_sign_out"), on_click=st.logout, key="sign-out")
    else:
        st.sidebar.caption(labels.t("auth_anonymous", role=role))

"""The Streamlit side: sources (opening the registry and loading a period's inputs, also used by
the CLI), the cache over them, one loader per page, the audit log of personal data, and the
page components (sidebar, cards, tables, error lines)."""

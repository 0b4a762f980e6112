"""The observatory's public dashboard: `streamlit run dashboard/app.py` (or `observatory dashboard`).

It reads only the published, read-only snapshot of the warehouse (see dashboard/data.py).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="Microwork observatory", page_icon=":material/insights:", layout="wide")

pages = [
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page(VIEWS / "wages.py", title="Pay & regions", icon=":material/payments:"),
    st.Page(VIEWS / "oli.py", title="OLI comparison", icon=":material/compare_arrows:"),
    st.Page(VIEWS / "sources.py", title="Sources & runs", icon=":material/fact_check:"),
    st.Page(VIEWS / "about.py", title="Method", icon=":material/menu_book:"),
]
page = st.navigation(pages)
st.sidebar.caption("Microwork observatory: how much microwork is published, where it may be done, "
                   "and what it pays. All times UTC.")
page.run()

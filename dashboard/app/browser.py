"""What "settled" means for a page in a real browser: Streamlit has finished running, its
running indicator and skeletons are gone, and every chart, map and table has drawn its canvas
(the browser suite and the benchmark wait for it)."""

from __future__ import annotations

import time
from typing import Any

APP_IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const state = app.getAttribute('data-test-script-state');
  if (state !== 'notRunning' && state !== 'compilationError') return false;
  const conn = app.getAttribute('data-test-connection-state');
  if (conn && conn !== 'CONNECTED') return false;
  const visible = (el) => !!el && el.getClientRects().length > 0
      && getComputedStyle(el).visibility !== 'hidden';
  for (const w of document.querySelectorAll('[data-testid="stStatusWidget"]')) {
    if (visible(w)) return false;
  }
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')) return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || !main.querySelector('[data-testid="stElementContainer"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    if (!c.querySelector('canvas, svg')) return false;
  }
  for (const c of document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')) {
    if (!c.querySelector('canvas')) return false;
  }
  for (const c of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    if (!c.querySelector('canvas')) return false;
  }
  return true;
}
"""


def wait_until_settled(page: Any, timeout_ms: int, settle_s: float = 0.0) -> float:
    """Wait until the page is settled (and still is ``settle_s`` later); returns the
    monotonic time it first was."""
    deadline = time.monotonic() + timeout_ms / 1000
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout_ms)
    while True:
        remaining = max(1, int((deadline - time.monotonic()) * 1000))
        page.wait_for_function(APP_IDLE_JS, timeout=remaining, polling=50)
        first = time.monotonic()
        if settle_s:
            time.sleep(settle_s)
        if page.evaluate(APP_IDLE_JS):
            return first
        if time.monotonic() > deadline:
            raise TimeoutError("the Streamlit app did not become idle")

"""A real headless browser for the tests: Debian's chromium, driven by Playwright, offline."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path(os.environ.get("FORFAITS_CHROMIUM", "/usr/bin/chromium"))
ARGUMENTS = [  # no network of its own: this machine's is closed, and a report must need none
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def page_hors_ligne(largeur: int = 1200):
    """A page of a headless chromium whose every request other than a local file is refused and recorded;
    yields (page, refused requests, console errors)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(
            f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install chromium; `make test` "
            "does it when it can) or set FORFAITS_CHROMIUM"
        )
    with sync_playwright() as p:
        navigateur = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS)
        try:
            page = navigateur.new_page(viewport={"width": largeur, "height": 1000})
            refusees, erreurs = [], []

            def router(route):
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    refusees.append(route.request.url)
                    route.abort()

            page.route("**/*", router)
            page.on("console", lambda m: erreurs.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: erreurs.append(str(e)))
            yield page, refusees, erreurs
        finally:
            navigateur.close()


def capturer(html: Path, png: Path, largeur: int = 1200, hauteur: int | None = None) -> Path:
    """A PNG of a report as the browser draws it (the README's screenshot)."""
    with page_hors_ligne(largeur) as (page, _, _):
        page.goto(html.resolve().as_uri())
        if hauteur:
            page.set_viewport_size({"width": largeur, "height": hauteur})
            page.screenshot(path=str(png))
        else:
            page.screenshot(path=str(png), full_page=True)
    return png

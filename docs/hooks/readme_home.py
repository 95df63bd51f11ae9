"""The site's home page is the README: one text, so the two cannot drift apart.

``docs/index.md`` is only a placeholder (mkdocs needs the file); at build time its Markdown is
replaced by the README's, with the README's ``docs/`` link prefix taken off so its links resolve
from inside the site.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_DOCS_LINK = re.compile(r"\]\(docs/")


def home_markdown(readme: str) -> str:
    """The README as the site's home page: links to ``docs/x.md`` become ``x.md``."""
    return _DOCS_LINK.sub("](", readme)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    readme = Path(config["config_file_path"]).parent / "README.md"
    return home_markdown(readme.read_text(encoding="utf-8"))

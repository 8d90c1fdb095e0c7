"""Which input image a result overlay was drawn over: the pairing rule of the viewer's toggle.

The nuclei pipeline (pipelines/nuclei, cli.process) writes, for each input image `<path>`, an
overlay `<results folder>/<stem>_overlay.png`, where <stem> is the input's file stem, or its
whole path without suffix with "/" as "__" when two inputs share a stem (output_stems), and
`_2`, `_3` ... after a stem still taken. So an overlay `…/<stem>_overlay.png` pairs with the
first regular file among `<stem with "__" as "/">.<suffix>` for the pipeline's input suffixes,
looked up from the project's top folder: exact for inputs at the top or for clashing stems,
and no pairing (the overlay shows alone) when no such file is there.
"""

from __future__ import annotations

OVERLAY_SUFFIX = "_overlay.png"
INPUT_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg")  # as the pipeline reads them


def input_candidates(overlay: str) -> tuple[str, ...]:
    """The project paths an overlay's input may have, in the order they are tried ((): the
    file is no overlay)."""
    name = overlay.rpartition("/")[2]
    if not name.endswith(OVERLAY_SUFFIX) or len(name) == len(OVERLAY_SUFFIX):
        return ()
    stem = name[: -len(OVERLAY_SUFFIX)]
    path = "/".join(part for part in stem.split("__"))
    if any(part in ("", ".", "..") for part in path.split("/")):
        return ()
    return tuple(f"{path}{suffix}" for suffix in INPUT_SUFFIXES)

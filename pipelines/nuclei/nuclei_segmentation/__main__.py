"""Entry point for `python -m nuclei_segmentation`."""

from nuclei_segmentation.cli import main

raise SystemExit(main())

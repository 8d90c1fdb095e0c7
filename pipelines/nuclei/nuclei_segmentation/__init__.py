"""Nuclei segmentation: kubeshowcase's reference pipeline (count and measure nuclei in images)."""

__version__ = "0.1.0"

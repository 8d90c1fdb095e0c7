"""A project folder as the operator prepares it, and the pipeline run in it as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

PIPELINE_DIR = Path(__file__).resolve().parents[2] / "pipelines" / "nuclei"
RUN_ID = "nuclei-run-0001"


@dataclass
class Project:
    """A project folder as the operator leaves it just before starting the pipeline."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)  # what the Job adds (KSC_OUTPUT_DIR)

    def add_image(self, relative: str, image: np.ndarray) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        iio.imwrite(path, image)
        return path

    def write_args(self, args: dict[str, Any] | str, run_id: str = RUN_ID) -> None:
        handshake = self.root / ".kubeshowcase"
        handshake.mkdir(exist_ok=True)
        text = args if isinstance(args, str) else json.dumps(args)
        (handshake / "args").write_text(text, encoding="utf-8")
        (handshake / "run_id").write_text(run_id + "\n", encoding="utf-8")

    @property
    def last_run_id(self) -> Path:
        return self.root / ".kubeshowcase" / "LAST_RUN_ID"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PIPELINE_DIR), *filter(None, [env.get("PYTHONPATH")])]
        )
        return {**env, **self.extra_env}

    def start(self) -> subprocess.Popen[str]:
        """The pipeline started, its output piped, not waited for."""
        return subprocess.Popen([sys.executable, "-m", "nuclei_segmentation"], cwd=self.root,
                                env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def run(self, *flags: str) -> subprocess.CompletedProcess[str]:
        """Run the pipeline as the Job's container does: a fresh interpreter, cwd = project."""
        return subprocess.run(
            [sys.executable, "-m", "nuclei_segmentation", *flags],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,  # a hung run fails the test instead of hanging the suite
            check=False,
        )

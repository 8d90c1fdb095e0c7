"""kubeshowcase operator: queues PipelineRuns and runs each as one Job (Kopf)."""

from . import handlers  # noqa: F401  (registers the Kopf handlers on import)

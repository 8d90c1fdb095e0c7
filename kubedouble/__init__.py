"""kubedouble: a small kube-apiserver double with a local Job runner, for tests and `make demo`."""

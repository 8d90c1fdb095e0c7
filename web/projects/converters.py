"""URL converter for a path inside a project: any text, possibly empty, checked by the views."""


class RelativePathConverter:
    # Deliberately permissive: the router only decodes; projects.paths decides what is safe.
    regex = ".*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value

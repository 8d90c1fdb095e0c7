"""URL converter for a path inside a project: any text, possibly empty, checked by the views."""


class RelativePathConverter:
    # Deliberately permissive: the router only decodes; projects.paths decides what is safe.
    # Any character, line breaks too ("." stops at one): a pipeline may plant "a\nb.txt", and
    # the page that lists it must still make its links (reverse() checks this pattern).
    regex = r"[\s\S]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value

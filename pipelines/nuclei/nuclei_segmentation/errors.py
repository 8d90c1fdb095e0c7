"""The two ways a run can go wrong: its inputs can never work, or one image cannot be processed."""


class ArgsError(ValueError):
    """The run's arguments or handshake files are unusable; nothing is processed."""


class ImageError(ValueError):
    """One image cannot be read or segmented; the others are still processed."""

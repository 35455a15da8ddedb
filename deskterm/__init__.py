"""deskterm: a keyboard-first terminal console for a phone service desk."""

__version__ = "0.1.0"

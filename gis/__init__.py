"""SIG Kelurahan domain and analysis library.

This package never imports Flask: the web layer (``webmap``) calls into it, never the reverse.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]

"""GenLab in a notebook: the GenLab page's labs as one anywidget, with no network.

>>> from genlab_widget import GenLab
>>> w = GenLab(lab="interpolants", preset="checkerboard")   # display `w` in a cell

The widget runs the same page, core and presets as the GenLab site, inside the notebook's
browser tab; Python reads and sets what it shows (see `GenLab`).
"""

from .widget import GenLab, LABS

__all__ = ["GenLab", "LABS"]

"""The `GenLab` widget: the Python side of widget.js (see there for the messages)."""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import anywidget
import numpy as np
import traitlets

from . import _core

STATIC = pathlib.Path(__file__).parent / "static"

#: The labs by the names Python uses, with the other names the page and the site accept.
LABS = {
    "interpolants": ("si",),
    "hallucinations": ("halluc",),
    "qlae": ("latent-quantization",),
    "data": (),
}
_ALIASES = {alias: lab for lab, aliases in LABS.items() for alias in (lab, *aliases)}
CONTROLS = ("full", "minimal", "none")
#: The most steps one `train` call asks for: the page's own limit on a link's step count.
MAX_TRAIN_STEPS = 10_000_000


def _files() -> frozenset[str]:
    """The files the page may ask for (tools/widget.mjs lists them when it builds them)."""
    listing = STATIC / "files.json"
    if not listing.exists():
        raise RuntimeError(
            f"genlab_widget has no page files ({listing} is missing): build them with "
            "`make widget` in the GenLab repository, then reinstall the package"
        )
    return frozenset(json.loads(listing.read_text()))


class _Settings(traitlets.Dict):
    """A dict trait that notices an edit in place: ``w.config["seed"] = 3; w.config = w.config``.

    A plain ``Dict`` compares the dict with itself there and stays silent. This one compares
    with a copy of the last good value, and when the new value is refused it puts that copy
    back, so a refused edit in place does not linger in Python either.
    """

    def set(self, obj: Any, value: Any) -> None:
        __tracebackhide__ = True  # IPython shows the user's line and the core's message, not these frames
        goods = obj.__dict__.setdefault("_good_settings", {})
        good = goods.get(self.name, {})
        try:
            new = self._validate(obj, value)
        except Exception:
            obj._trait_values[self.name] = copy.deepcopy(good)
            raise
        obj._trait_values[self.name] = new
        if new != good:
            goods[self.name] = copy.deepcopy(new)
            obj._notify_trait(self.name, good, new)


class GenLab(anywidget.AnyWidget):
    """A GenLab lab, live in the notebook.

    Settable: ``lab`` (interpolants, hallucinations, qlae or data), ``preset`` (a preset of
    that lab), ``config`` (the lab's config dict: the schema of links, presets and the CLI's
    ``--config``; a partial dict is laid over the preset), ``controls`` (full, minimal or
    none) and ``height`` (pixels).

    Read-only, kept up to date by the page: ``step`` (training steps of the shown run),
    ``metrics`` (its last losses and the lab's scores), ``link`` (the share link's ``#…``
    part, which opens the same run on any GenLab site) and ``error`` (why the last setting,
    training or weights were refused; the run shown is then the last good one).

    Training and sampling run in the browser, so ``train`` returns at once and the traits
    follow; ``samples`` and ``weights`` return what the page showed when it last settled.
    """

    _esm = pathlib.Path(__file__).parent / "widget.js"

    lab = traitlets.Unicode("interpolants").tag(sync=True)
    preset = traitlets.Unicode("").tag(sync=True)
    config = _Settings().tag(sync=True)
    controls = traitlets.Unicode("minimal").tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)
    step = traitlets.Int(0, read_only=True).tag(sync=True)
    metrics = traitlets.Dict(read_only=True).tag(sync=True)
    link = traitlets.Unicode("", read_only=True).tag(sync=True)
    error = traitlets.Unicode("", read_only=True).tag(sync=True)
    #: A PNG still of the main picture when the page last settled: a saved notebook shows it
    snapshot = traitlets.Bytes(b"", read_only=True).tag(sync=True)

    def __init__(
        self,
        lab: str = "interpolants",
        preset: str = "",
        config: dict[str, Any] | None = None,
        controls: str = "minimal",
        height: int = 560,
        **kwargs: Any,
    ) -> None:
        self._samples: tuple[np.ndarray, list[str], str] | None = None
        self._weights: bytes | None = None
        self._weights_step = 0
        self._allowed = _files()
        super().__init__(
            lab=lab, preset=preset, config=config or {}, controls=controls, height=height, **kwargs
        )
        self.on_msg(self._on_page_message)

    @traitlets.validate("lab")
    def _valid_lab(self, proposal: dict[str, Any]) -> str:
        name = str(proposal["value"])
        if name not in _ALIASES:
            raise ValueError(f"lab: there is no lab called {name!r}; the labs: {', '.join(LABS)}")
        return _ALIASES[name]

    @traitlets.validate("controls")
    def _valid_controls(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in CONTROLS:
            raise ValueError(f"controls: {proposal['value']!r} is not one of {', '.join(CONTROLS)}")
        return proposal["value"]

    @traitlets.validate("height")
    def _valid_height(self, proposal: dict[str, Any]) -> int:
        if not 200 <= proposal["value"] <= 4000:
            raise ValueError(f"height: {proposal['value']} is out of range; allowed 200 to 4000 (pixels)")
        return proposal["value"]

    @traitlets.validate("preset")
    def _valid_preset(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] and not self._from_page("preset"):
            _core.check_preset(self._lab_name(), proposal["value"])
        return proposal["value"]

    @traitlets.validate("config")
    def _valid_config(self, proposal: dict[str, Any]) -> dict[str, Any]:
        # the page's own settings are good already; sending them back changed would loop
        __tracebackhide__ = True
        value = proposal["value"]
        if not value or self._from_page("config"):
            return value
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ValueError(f"config: not plain JSON ({err})") from None
        # the core's own check: a bad field raises here, naming it and its allowed range, and
        # the widget keeps showing its last good run; a missing field takes the core's default
        return json.loads(_core.check(self._lab_name(), text))

    def _lab_name(self) -> str:
        """The lab by the name Python uses: while traits are set together, `lab` may still be unchecked."""
        return _ALIASES.get(self.lab, self.lab)

    def _from_page(self, name: str) -> bool:
        """Whether trait `name` is being set by the page (ipywidgets' lock while it applies them)."""
        return name in getattr(self, "_property_lock", {})

    def train(self, steps: int) -> None:
        """Trains the shown run ``steps`` steps further in the browser; ``step`` follows."""
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
            raise ValueError(f"steps: {steps!r} is not a whole number")
        if not 1 <= steps <= MAX_TRAIN_STEPS:
            raise ValueError(f"steps: {steps} is out of range; allowed 1 to {MAX_TRAIN_STEPS:,}")
        self.send({"type": "train", "steps": int(steps)})

    def samples(self) -> np.ndarray:
        """What the plots showed when the page last settled, one row per sample.

        Interpolants: the particles at the shown time t (x, y). Hallucinations: the samples
        with their trajectory variance and label (x[, y], variance, hallucinated). QLAE: the
        latents of the held-out images (code indices for a QLAE). Data: the samples.
        ``samples_columns`` names the columns.
        """
        if self._samples is None:
            raise RuntimeError(
                "the widget has not shown samples yet: display it, and call this in a later cell"
            )
        return self._samples[0].copy()

    @property
    def samples_columns(self) -> list[str]:
        """The names of the columns of `samples()`."""
        return [] if self._samples is None else list(self._samples[1])

    @property
    def samples_link(self) -> str:
        """The link of what the page showed with `samples()` (it is ``link`` once they are current)."""
        return "" if self._samples is None else self._samples[2]

    def weights(self) -> bytes:
        """The shown run's trained weights as safetensors bytes (`genlab LAB sample --model`)."""
        if self._weights is None:
            raise RuntimeError(
                "the widget has no trained weights yet: display it (a preset brings its weights), "
                "train, and call this in a later cell"
            )
        return self._weights

    @property
    def weights_step(self) -> int:
        """The training step of the weights `weights()` returns (0 before any)."""
        return self._weights_step

    def load_weights(self, data: bytes) -> None:
        """Loads safetensors ``data`` (made for this config) into the shown run."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError(f"data: safetensors bytes are needed, not {type(data).__name__}")
        self.send({"type": "load-weights"}, buffers=[bytes(data)])

    def _on_page_message(self, _widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("type")
        if kind == "file":
            self._send_file(content.get("id"), str(content.get("path", "")))
        elif kind == "samples" and buffers:
            values = np.frombuffer(bytes(buffers[0]), dtype="<f4")
            columns = [str(c) for c in content.get("columns", [])] or ["value"]
            self._samples = (values.reshape(-1, len(columns)), columns, str(content.get("link", "")))
        elif kind == "weights" and buffers:
            self._weights = bytes(buffers[0])
            self._weights_step = int(content.get("step", 0))

    def _send_file(self, request: Any, path: str) -> None:
        # only the files the build listed: the page cannot read anything else on this machine
        if path not in self._allowed:
            self.send({"type": "file", "id": request, "error": f"{path}: not a file of the widget"})
            return
        self.send({"type": "file", "id": request}, buffers=[(STATIC / path).read_bytes()])

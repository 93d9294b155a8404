"""Interactive views for the lessons: controls wired to a plain function.

A view is a callback ``callback(**values) -> Figure | str`` plus the ipywidgets controls that
feed it. The callback is an ordinary function the tests call directly; the view only redraws
it when a control changes. Shown where no widget frontend runs (nbval, nbconvert, GitHub's
notebook preview), a view falls back to a static rendering of its current output, so a
headless run still shows the default picture.

>>> import ipywidgets as widgets
>>> view = View(lambda n: f"{n} squared is {n * n}", n=widgets.IntSlider(value=3, max=9))
>>> view.result
'3 squared is 9'
>>> view.controls["n"].value = 4
>>> view.result
'4 squared is 16'
"""
from __future__ import annotations

import base64
import io
from typing import Any, Callable

import ipywidgets as widgets
from IPython.display import Image, Markdown, display
from matplotlib.figure import Figure

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def figure_png(figure: Figure) -> bytes:
    """A matplotlib figure as PNG bytes (no pyplot state involved)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def static(result: Figure | str) -> Image | Markdown:
    """What a callback returned, as something IPython can display without widgets."""
    if isinstance(result, Figure):
        return Image(data=figure_png(result))
    if isinstance(result, str):
        return Markdown(result)
    raise TypeError(f"a view's callback must return a matplotlib Figure or a str, but got "
                    f"{type(result).__name__}")


class View(widgets.VBox):
    """Controls above an output that shows ``callback(**controls' values)``.

    ``controls`` are keyword arguments: the callback's parameter name -> an ipywidgets value
    widget (slider, dropdown, ...). The callback runs once at construction and again on every
    change; its latest return value is ``view.result``.
    """

    def __init__(self, callback: Callable[..., Figure | str], **controls: widgets.ValueWidget
                 ) -> None:
        if not controls:
            raise ValueError("a View needs at least one control, e.g. n=IntSlider()")
        self.callback = callback
        self.controls = controls
        self.output = widgets.Output()
        self.result: Figure | str | None = None
        super().__init__([*controls.values(), self.output])
        for control in controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self, change: object = None) -> None:
        self.result = self.callback(**self.values())
        # Setting the outputs directly (rather than ``with output: display(...)``) works the
        # same inside a kernel and outside one, where a test calls the view.
        self.output.outputs = ({"output_type": "display_data", "data": self.static_bundle(),
                                "metadata": {}},)

    def static_bundle(self) -> dict[str, Any]:
        """The current result as a MIME bundle: a PNG for a figure, Markdown for text."""
        shown = static(self.result)
        if isinstance(shown, Image):
            return {"image/png": base64.b64encode(shown.data).decode("ascii"),
                    "text/plain": "<figure>"}
        return {"text/markdown": shown.data, "text/plain": shown.data}

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # The live widget where a widget frontend runs; the static picture everywhere else.
        bundle = self.static_bundle()
        name = getattr(self.callback, "__name__", type(self.callback).__name__)  # or a partial
        bundle["text/plain"] = f"<{type(self).__name__} of {name}>"
        bundle[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0,
                               "model_id": self.model_id}
        return bundle

    def _ipython_display_(self) -> None:  # ipywidgets 7 displays widgets through this hook
        display(self._repr_mimebundle_(), raw=True)


def show(figure: Figure) -> None:
    """Display a figure in a notebook as a PNG, the same way headless and live."""
    display(static(figure))

import ipywidgets as widgets
import pytest
from matplotlib.figure import Figure

from nasedu.widgets import WIDGET_VIEW, View, static


def bar_chart(height: int) -> Figure:
    figure = Figure()
    figure.subplots().bar([0], [height])
    return figure


def test_a_view_calls_its_callback_with_the_controls_values_and_redraws_on_change():
    calls = []
    view = View(lambda a, b: calls.append((a, b)) or f"{a}{b}",
                a=widgets.IntSlider(value=1), b=widgets.Dropdown(options=["x", "y"]))
    view.controls["b"].value = "y"
    assert calls == [(1, "x"), (1, "y")]
    assert view.result == "1y"
    assert view.output.outputs[0]["data"]["text/markdown"] == "1y"


def test_a_view_falls_back_to_a_static_png_of_its_figure():
    view = View(bar_chart, height=widgets.IntSlider(value=2))
    bundle = view._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == view.model_id
    first_png = bundle["image/png"]
    view.controls["height"].value = 7
    assert view._repr_mimebundle_()["image/png"] != first_png


def test_a_view_needs_controls_and_callbacks_must_return_a_figure_or_text():
    with pytest.raises(ValueError, match="at least one control"):
        View(lambda: "x")
    with pytest.raises(TypeError, match="Figure or a str, but got int"):
        View(lambda n: n, n=widgets.IntSlider())
    assert static("**bold**").data == "**bold**"


def test_a_view_of_a_partial_displays():
    from functools import partial
    view = View(partial(lambda scale, n: f"{scale * n}", 2), n=widgets.IntSlider(value=3))
    assert view.result == "6"
    assert view._repr_mimebundle_()["text/plain"] == "<View of partial>"

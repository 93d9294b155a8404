"""The lessons' figures, one module per lesson (``cost``, ``sharing``, ``curves``, ``combined``),
``compare`` for the figures that set strategies side by side, and ``style`` for what they all
share: one colour and marker per strategy, direct labels that do not overlap, and
``label_problems``, the check that a figure's text reads cleanly. Each function returns a
matplotlib Figure.

They double as widget callbacks (see ``nasedu.widgets.View``): plain functions of plain
values, so the tests call them directly.
"""
